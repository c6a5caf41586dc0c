"""Knowledge graph of the Swedish award Sveriges DigitaliseringsKommun.

The package is split along the data flow: ``pipeline`` builds the artifact from the sources,
``store`` answers queries over a built artifact, ``web`` serves it over HTTP. The pipeline never
imports the web layer, and the web layer never validates or reasons.
"""

from kg.settings import Settings

__all__ = ["Settings", "create_app"]
__version__ = "0.1.0"


def create_app(settings: Settings | None = None, *, lean: bool = True, engine=None):
    """Build the Flask application; lazy so that the CLI's build path never imports Flask."""
    from kg.web import create_app as _create_app

    return _create_app(settings, lean=lean, engine=engine)
