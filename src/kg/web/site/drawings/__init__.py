"""Pictures drawn on the server as SVG: the map of Sweden, the timeline and charts, and the
font metrics that size their text like the browser will.
"""
