"""Reliability suite: crashes, faults and fuzzing across the real parts."""
