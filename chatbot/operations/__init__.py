"""Running the installation: the doctor's checks (``doctor``), the admin page's figures (``admin``), the
user, key, backup and audit commands (``admin_cli``), and the evaluation on a question pack (``eval``).

May import: ``settings``, ``storage``'s and ``ingest``'s public names (the evaluation ingests its pack;
the doctor asks about OCR), and every room of ``chatbot`` below it: ``language``, ``search``, ``model``,
``answer``. Never ``adapt``.
"""
