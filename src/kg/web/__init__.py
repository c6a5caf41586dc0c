"""The HTTP face of the graph: an app factory with one blueprint per concern.

The web layer only serves a finished artifact through ``kg.store``; it never validates or
reasons, so a request can never trigger a build.
"""

from __future__ import annotations

from flask import Flask

from kg.settings import Settings
from kg.store import Engine, open_engine


def create_app(
    settings: Settings | None = None, *, lean: bool = True, engine: Engine | None = None
) -> Flask:
    """The app: Flask with its blueprints, and ``/sparql`` answered by the protocol core.

    ``lean`` puts the core's WSGI adapter in front of Flask (how the server runs); without it,
    Flask's own view calls the same core (the tests compare the two adapters). ``engine``
    serves another engine than the settings' artifact (tests: a build plus fixture graphs);
    the pages and the core both see it, because the core is built over it here.
    """
    settings = settings or Settings.from_env()
    from kg.web.endpoint.querystring import FastArgsRequest

    # The site's templates and static files serve every part: the workbench at /sparql and the
    # services' HTML views render with the same look.
    app = Flask(__name__, template_folder="site/templates", static_folder="site/static")
    app.request_class = FastArgsRequest
    app.config["KG_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["kg_engine"] = engine if engine is not None else open_engine(settings)

    from kg.web.endpoint.flask_adapter import install_access_log, protocol
    from kg.web.endpoint.health import health
    from kg.web.endpoint.security import install as install_security

    install_security(app)
    from kg.web.site.static_files import install as install_static_files

    install_static_files(app)  # brotli/gzip for every text answer, fingerprinted static files
    from kg.web.services.dataset_jsonld import dataset_jsonld
    from kg.web.site.seo import entity_jsonld

    app.jinja_env.globals.update(dataset_jsonld=dataset_jsonld, entity_jsonld=entity_jsonld)

    app.register_blueprint(health)
    app.register_blueprint(protocol)

    # The linked-data website: pages and dereferencing, pictures, downloads, metadata.
    from kg.web.services.completions import completions
    from kg.web.services.downloads import downloads
    from kg.web.services.metadata import metadata
    from kg.web.site.drawings.map import geo_map
    from kg.web.site.drawings.pictures import pictures
    from kg.web.site.entities.pages import entities
    from kg.web.site.home import pages
    from kg.web.site.lists import lists
    from kg.web.site.ontology_docs import ontology_routes
    from kg.web.site.quality_page import quality

    app.register_blueprint(pages)
    app.register_blueprint(lists)
    app.register_blueprint(entities)
    app.register_blueprint(ontology_routes)
    app.register_blueprint(pictures)
    app.register_blueprint(geo_map)
    app.register_blueprint(completions)
    app.register_blueprint(downloads)
    app.register_blueprint(metadata)
    app.register_blueprint(quality)  # the build's quality report at /quality
    from kg.web.services.graph_store import graph_store
    from kg.web.site.graphs import graphs

    app.register_blueprint(graphs)
    app.register_blueprint(graph_store)

    # Search and reconciliation, both answered from the build's full-text index.
    from kg.web.services.reconcile import reconcile
    from kg.web.services.search import search

    app.register_blueprint(search)
    app.register_blueprint(reconcile)
    install_access_log(app)

    # One request path for SPARQL: the framework-free core, behind two thin adapters.
    from kg.store import bare
    from kg.web.endpoint.flask_adapter import WORKBENCH_VIEW
    from kg.web.endpoint.protocol import Endpoint
    from kg.web.site.workbench_policy import install as install_workbench_policy

    # after security's hook, so it runs before it
    install_workbench_policy(app, WORKBENCH_VIEW, "protocol.sparql")

    endpoint = Endpoint(
        settings,
        bare(app.extensions["kg_engine"]),  # the core keeps its own cache of finished answers
        workbench=lambda: WORKBENCH_VIEW in app.view_functions,
    )
    app.extensions["kg_endpoint"] = endpoint
    if lean:
        from kg.web.endpoint.wsgi_adapter import LeanEndpoint

        app.wsgi_app = LeanEndpoint(endpoint, app.wsgi_app)  # type: ignore[method-assign]
    return app
