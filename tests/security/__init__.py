"""Security suite: untrusted event data, secrets, binds and links."""
