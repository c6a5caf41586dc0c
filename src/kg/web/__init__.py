"""The HTTP face of the graph: an app factory with one blueprint per concern.

The web layer only serves a finished artifact through ``kg.store``; it never validates or
reasons, so a request can never trigger a build.
"""

from __future__ import annotations

from flask import Flask

from kg.settings import Settings
from kg.store import open_engine


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    from kg.web.querystring import FastArgsRequest

    app = Flask(__name__)
    app.request_class = FastArgsRequest
    app.config["KG_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["kg_engine"] = open_engine(settings)

    from kg.web import http
    from kg.web.health import health
    from kg.web.protocol import protocol
    from kg.web.security import install as install_security

    install_security(app)

    app.register_blueprint(health)
    app.register_blueprint(protocol)

    # The linked-data website: pages and dereferencing, pictures, downloads, metadata.
    from kg.web.downloads import downloads
    from kg.web.metadata import metadata
    from kg.web.pages import pages
    from kg.web.pictures import pictures

    app.register_blueprint(pages)
    app.register_blueprint(pictures)
    app.register_blueprint(downloads)
    app.register_blueprint(metadata)
    http.install(app)
    from kg.web.fast_get import FastGet

    app.wsgi_app = FastGet(app, app.wsgi_app)  # type: ignore[method-assign]
    if settings.cache_entries > 0:
        from kg.web.front_cache import FrontCache
        from kg.web.protocol import MAX_CACHED_BODY_BYTES

        app.wsgi_app = FrontCache(  # type: ignore[method-assign]
            app.wsgi_app,
            lambda: app.extensions["kg_engine"].version,
            entries=settings.cache_entries,
            max_body_bytes=MAX_CACHED_BODY_BYTES,
        )
    return app
