"""Renderers of documents: content dataclasses and a frame in, PDF bytes out.

Below the services in the layer contract: nothing here opens a database session, writes
the disclosure register or a file, or imports :mod:`clinic_app.services` (or Qt). The
content is defined in :mod:`clinic_app.reports.content` and filled by
:mod:`clinic_app.services.sharing`.
"""
