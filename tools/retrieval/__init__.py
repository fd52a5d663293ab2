"""Retrieval tools: taxonomy packs, the hybrid shortlist, and the exemplar index.

Public API::

    load_taxonomy(name_or_path) / slugify(label)            taxonomy.py
    shortlist(text, taxonomy, k, defaults, exemplars, mode)  shortlist.py
    build_exemplar_index(records, folder) / open_exemplar_index(folder)   exemplars.py
    records_from_file / records_from_rows / records_from_run              exemplar_sources.py
"""
