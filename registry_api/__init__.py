"""The registry service of order 130/НҚ: applications, workflow, results, complaints, monitoring.

Entry points for other parts: :func:`registry_api.main.create_app` (the FastAPI app, ports injected),
``permitchain api`` (:mod:`registry_api.cli`), the pure calendar
(:class:`registry_api.calendar.WorkingCalendar`) and workflow (:mod:`registry_api.services.workflow`),
and the ``permit_issued`` outbox event as the seam for anchoring. See ``registry_api/README.md``.
"""
