"""The simulator's catalog of issues: realistic failures of the four services.

TMDB/OpenAI/Stripe failures, chat generation timeouts, payment and auth failures,
React Native crashes and Go search panics, each with stack frames (context lines
included), breadcrumbs, transaction and request.
"""

from __future__ import annotations

from sxtriage.sim.templates import Exc, Template, go_frame, js_frame, py_frame

_HTTPX = py_frame(
    "httpx._transports.default", "handle_async_request", 372, "raise exc", in_app=False
)
_ASGI = py_frame(
    "starlette.routing", "handle", 290, "await self.app(scope, receive, send)", in_app=False
)
_REACT = js_frame(
    "node_modules/react-dom/cjs/react-dom.production.min.js", "Ln", 188, "t(n)", in_app=False
)
_RN = js_frame(
    "node_modules/react-native/Libraries/Core/ExceptionsManager.js",
    "reportException",
    96,
    "NativeExceptionsManager.reportException(data);",
    in_app=False,
)

API_CRUMBS = (
    ("http", "info", "GET https://api.themoviedb.org/3/search/movie [200]"),
    ("query", "info", "SELECT users.id, users.plan FROM users WHERE users.id = $1"),
    ("auth", "info", "token verified for user 4821"),
)
WEB_CRUMBS = (
    ("navigation", "info", "/chat → /chat/scene/42"),
    ("ui.click", "info", "button#send-message"),
    ("fetch", "info", "POST https://api.scenextras.com/v1/chat [504]"),
)
MOBILE_CRUMBS = (
    ("navigation", "info", "ChatScreen"),
    ("touch", "info", "Pressable(testID=send)"),
    ("xhr", "warning", "POST https://api.scenextras.com/v1/chat [502]"),
)
SEARCH_CRUMBS = (
    ("http", "info", "GET /v1/search?q=the+bear&limit=20"),
    ("index", "info", "shard 3 loaded (412k docs)"),
)

TEMPLATES: tuple[Template, ...] = (
    Template(
        "api",
        "error",
        "app.integrations.tmdb in fetch_movie",
        "GET /v1/movies/{id}",
        (
            Exc("ReadTimeout", "timed out", (_HTTPX,), "httpx"),
            Exc(
                "TMDBUnavailable",
                "TMDB request failed after 3 retries: ReadTimeout",
                (
                    _ASGI,
                    py_frame(
                        "app.routes.movies",
                        "get_movie",
                        58,
                        "movie = await tmdb.fetch_movie(movie_id)",
                    ),
                    py_frame(
                        "app.integrations.tmdb",
                        "fetch_movie",
                        112,
                        "raise TMDBUnavailable(...) from exc",
                    ),
                ),
            ),
        ),
        API_CRUMBS,
        "GET",
        "https://api.scenextras.com/v1/movies/603",
        team="backend",
    ),
    Template(
        "api",
        "error",
        "app.chat.generate in stream_reply",
        "POST /v1/chat",
        (
            Exc("APITimeoutError", "Request timed out.", (_HTTPX,), "openai"),
            Exc(
                "ChatGenerationTimeout",
                "chat generation exceeded 30s (model=gpt-4o-mini)",
                (
                    _ASGI,
                    py_frame(
                        "app.routes.chat",
                        "post_chat",
                        77,
                        "return await generate.stream_reply(req)",
                    ),
                    py_frame(
                        "app.chat.generate",
                        "stream_reply",
                        141,
                        "raise ChatGenerationTimeout(model)",
                    ),
                ),
            ),
        ),
        API_CRUMBS,
        "POST",
        "https://api.scenextras.com/v1/chat",
        team="backend",
    ),
    Template(
        "api",
        "error",
        "app.billing.stripe in create_checkout",
        "POST /v1/billing/checkout",
        (
            Exc(
                "CardError",
                "Your card was declined. (code=card_declined)",
                (
                    _ASGI,
                    py_frame(
                        "app.routes.billing",
                        "checkout",
                        40,
                        "session = await stripe.create_checkout(user)",
                    ),
                    py_frame(
                        "app.billing.stripe",
                        "create_checkout",
                        88,
                        "raise PaymentFailed(err.user_message)",
                    ),
                ),
                "stripe",
                handled=True,
            ),
        ),
        API_CRUMBS,
        "POST",
        "https://api.scenextras.com/v1/billing/checkout",
        {"payment_provider": "stripe"},
        team="payments",
    ),
    Template(
        "api",
        "warning",
        "app.auth.jwt in verify",
        "GET /v1/me",
        (
            Exc(
                "ExpiredSignatureError",
                "Signature has expired",
                (
                    _ASGI,
                    py_frame("app.auth.deps", "current_user", 23, "claims = jwt.verify(token)"),
                    py_frame("app.auth.jwt", "verify", 51, "raise AuthFailed('token expired')"),
                ),
                "jwt",
            ),
        ),
        API_CRUMBS,
        "GET",
        "https://api.scenextras.com/v1/me",
        team="backend",
    ),
    Template(
        "api",
        "error",
        "app.integrations.openai in moderate",
        "POST /v1/chat",
        (
            Exc(
                "RateLimitError",
                "Error code: 429 - Rate limit reached for gpt-4o-mini",
                (
                    py_frame("app.chat.moderation", "check", 30, "await openai.moderate(text)"),
                    py_frame("app.integrations.openai", "moderate", 64, "resp.raise_for_status()"),
                ),
                "openai",
            ),
        ),
        API_CRUMBS,
        "POST",
        "https://api.scenextras.com/v1/chat",
        team="backend",
    ),
    Template(
        "web",
        "error",
        "src/chat/ChatStream.tsx in onChunk",
        "/chat/scene/:id",
        (
            Exc(
                "TypeError",
                "Cannot read properties of undefined (reading 'delta')",
                (
                    _REACT,
                    js_frame(
                        "src/chat/ChatStream.tsx",
                        "onChunk",
                        87,
                        "setText(t => t + chunk.choices[0].delta);",
                    ),
                ),
                mechanism="onerror",
            ),
        ),
        WEB_CRUMBS,
        team="frontend",
    ),
    Template(
        "web",
        "error",
        "src/api/client.ts in request",
        "/chat/scene/:id",
        (
            Exc(
                "ApiError",
                "POST /v1/chat failed with 504 Gateway Timeout",
                (
                    js_frame(
                        "src/chat/useChat.ts", "send", 41, "await api.post('/v1/chat', body);"
                    ),
                    js_frame(
                        "src/api/client.ts", "request", 63, "throw new ApiError(res.status, url);"
                    ),
                ),
                mechanism="onunhandledrejection",
            ),
        ),
        WEB_CRUMBS,
        team="frontend",
    ),
    Template(
        "web",
        "error",
        "src/billing/Checkout.tsx in handlePay",
        "/billing/checkout",
        (
            Exc(
                "StripeError",
                "Payment failed: card_declined",
                (
                    js_frame(
                        "src/billing/Checkout.tsx",
                        "handlePay",
                        52,
                        "throw new StripeError(result.error.code);",
                    ),
                ),
                handled=True,
            ),
        ),
        WEB_CRUMBS,
        tags={"payment_provider": "stripe"},
        team="payments",
    ),
    Template(
        "web",
        "warning",
        "src/auth/session.ts in refresh",
        "/login",
        (
            Exc(
                "AuthError",
                "Session refresh failed: 401 Unauthorized",
                (
                    js_frame(
                        "src/auth/session.ts", "refresh", 29, "throw new AuthError(res.status);"
                    ),
                ),
                handled=True,
            ),
        ),
        WEB_CRUMBS,
        team="frontend",
    ),
    Template(
        "mobile",
        "fatal",
        "ChatScreen in renderMessage",
        "ChatScreen",
        (
            Exc(
                "TypeError",
                "undefined is not an object (evaluating 'message.scene.title')",
                (
                    _RN,
                    js_frame(
                        "app/screens/ChatScreen.tsx",
                        "renderMessage",
                        118,
                        "<Text>{message.scene.title}</Text>",
                    ),
                ),
                mechanism="onerror",
            ),
        ),
        MOBILE_CRUMBS,
        team="mobile",
    ),
    Template(
        "mobile",
        "error",
        "app/api/chat.ts in sendMessage",
        "ChatScreen",
        (
            Exc(
                "NetworkError",
                "Network request failed: POST /v1/chat (502)",
                (
                    js_frame(
                        "app/api/chat.ts", "sendMessage", 33, "throw new NetworkError(res.status);"
                    ),
                ),
                mechanism="onunhandledrejection",
            ),
        ),
        MOBILE_CRUMBS,
        team="mobile",
    ),
    Template(
        "mobile",
        "fatal",
        "RCTImageView in reloadImage",
        "PosterGrid",
        (
            Exc(
                "NSInvalidArgumentException",
                "-[__NSCFNumber length]: unrecognized selector",
                (
                    js_frame(
                        "app/components/PosterGrid.tsx",
                        "Poster",
                        22,
                        "<Image source={{ uri: poster }} />",
                    ),
                ),
                mechanism="NSException",
            ),
        ),
        MOBILE_CRUMBS,
        team="mobile",
    ),
    Template(
        "search",
        "fatal",
        "search/internal/index.(*Shard).Query",
        "GET /v1/search",
        (
            Exc(
                "runtime.Error",
                "index out of range [12] with length 12",
                (
                    go_frame(
                        "search/internal/http/handler.go",
                        "(*Server).Search",
                        74,
                        "hits, err := s.idx.Query(ctx, q)",
                    ),
                    go_frame(
                        "search/internal/index/shard.go",
                        "(*Shard).Query",
                        203,
                        "doc := sh.docs[postings[i]]",
                    ),
                ),
                mechanism="panic",
            ),
        ),
        SEARCH_CRUMBS,
        "GET",
        "http://search.internal:8080/v1/search?q=the+bear",
        team="search",
    ),
    Template(
        "search",
        "error",
        "search/internal/tmdb.(*Client).Sync",
        "sync-tmdb",
        (
            Exc(
                "*url.Error",
                'Get "https://api.themoviedb.org/3/changes": context deadline exceeded',
                (
                    go_frame(
                        "search/internal/tmdb/client.go",
                        "(*Client).Sync",
                        91,
                        "resp, err := c.http.Do(req)",
                    ),
                ),
            ),
        ),
        SEARCH_CRUMBS,
        team="search",
    ),
    Template(
        "search",
        "error",
        "search/internal/http.(*Server).Suggest",
        "GET /v1/suggest",
        (
            Exc(
                "*errors.errorString",
                "redis: connection pool timeout",
                (
                    go_frame(
                        "search/internal/cache/redis.go",
                        "(*Cache).Get",
                        47,
                        "v, err := c.rdb.Get(ctx, key).Result()",
                    ),
                    go_frame(
                        "search/internal/http/handler.go",
                        "(*Server).Suggest",
                        122,
                        'return nil, fmt.Errorf("suggest: %w", err)',
                    ),
                ),
            ),
        ),
        SEARCH_CRUMBS,
        "GET",
        "http://search.internal:8080/v1/suggest?q=dun",
        team="search",
    ),
)
