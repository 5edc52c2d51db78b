"""Demo data: `manage.py seed_demo` and the problem scenarios it builds tickets from.

Sits above the chapters: the command calls each chapter's ``demo.seed`` in turn; no chapter imports
this app.
"""
