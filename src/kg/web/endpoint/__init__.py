"""The SPARQL 1.1 endpoint: the protocol core, the query processes that evaluate, and the HTTP
helpers every part of the web layer shares.

It knows nothing of the site's pages or the services, so the request path of a query (told in
:mod:`kg.web.endpoint.protocol`) can be read, tested and secured on its own.
"""
