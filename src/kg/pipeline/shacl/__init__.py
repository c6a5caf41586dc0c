"""The SHACL shapes at work in the build: compiled to SPARQL over the on-disk store for the
streaming build (``plan`` compiles, ``over_store`` runs, ``node_tests`` finishes the value
tests SPARQL cannot match exactly), and the hints that turn a result into an editor's fix
(``hints``). The in-memory build validates with pyshacl in :mod:`kg.pipeline.validate`."""
