"""The website people read: the home page, profiles, lists, graph and ontology pages, pictures,
with the templates and static files every HTML answer uses.

It builds on the endpoint's HTTP helpers and reads the graph through ``kg.store``; it never
imports the services, which may render their own HTML views with its page helpers.
"""
