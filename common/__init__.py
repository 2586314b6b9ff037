"""The library layer: what several apps share and no app owns.

Nothing here imports an app of this project (offices, surveys, suggestions,
inspections, reports); only Django and third-party libraries.
"""
