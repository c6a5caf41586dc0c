"""What other programs call: search and reconciliation over the build's index, completions for
the workbench, the graph store, downloads, and the catalogue (DCAT, VoID) that portals harvest.

Services may use the endpoint's HTTP helpers and the site's page helpers (for their HTML
views); neither of those imports a service.
"""
