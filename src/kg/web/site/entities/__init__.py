"""One thing's page: the profile that leads with its story, then the facts, sources and citation
for linked-data users, with the queries (``profile_queries/``) that gather each kind.
"""
