"""The sharing domain: what leaves the health team, for whom, and the record of it.

How a partner summary travels from the database to a PDF on disk:

1. **The gate.** :func:`drafts.prepare_partner_summary` asks for the audience's policy
   (:func:`audiences.policy_for`: the sections and identifying details that agency may
   receive, checked against every column's privacy class) and
   :mod:`partner_summary` reads the record only through
   :class:`audiences.PartnerReader`, which selects named columns and refuses any
   CLINICAL or THIRD_PARTY column, or one the policy does not allow, at run time. What
   it reads is put into the plain dataclasses of :mod:`clinic_app.reports.content`.
2. **The wording check.** The same call runs :mod:`lexicon` over every free-text field
   (:func:`drafts.text_fields`) for clinical terms and the names of third parties,
   giving a :class:`drafts.Draft` with its hits. The author keeps or rewords each one
   (:func:`drafts.revise`), or accepts them all (:func:`drafts.accept_all_warnings`,
   which the register records).
3. **The preview.** :func:`documents.preview_partner_summary` renders the exact pages
   (:func:`clinic_app.reports.pdf.render`) in a frame of marking, handling, recipient
   and purpose; nothing is recorded.
4. **The register.** :func:`documents.export_partner_summary` rebuilds the content from
   the database (:func:`drafts.rebuild`; content built and checked earlier in the same
   unit of work, with nothing written since, is taken from the gate's own record of that
   build instead of being built and checked twice) and refuses a draft that differs from
   it, any unresolved hit and any incomplete sharing decision (gateway, Caldicott, whether
   the client was told); then it renders the PDF and enters it in the disclosure register
   (:func:`disclosures.record_disclosure`, with its SHA-256 and the content and frame as
   JSON, :mod:`payloads`).
5. **The PDF on disk.** :func:`files.write_when_committed` writes the bytes beside the
   target and moves them into place only when the caller's unit of work commits, so the
   file exists exactly when its register entry does. :func:`documents.regenerate` draws
   a past entry again, byte for byte.

An urgent risk notification takes the same path (:mod:`risk_notice` reads one risk event
through the gate). A clinical summary (:mod:`clinical_summary`) and a referral letter
(:mod:`letters`) go to clinical recipients only and are read from the clinical record
directly, not through the partner gate; they are still entered in the register.

Which module holds what:

- :mod:`audiences`: audience policies, their checks and storage, and the gate
  (:class:`~audiences.PartnerReader`).
- :mod:`lexicon`: the wording check (clinical terms, third parties' names).
- :mod:`disclosures`: the disclosure register, sharing decisions, the register as CSV.
- :mod:`partner_summary`: the partner summary builder (reads through the gate).
- :mod:`risk_notice`: the urgent risk notification builder (reads through the gate).
- :mod:`clinical_summary`: the clinical summary builder (clinical recipients only).
- :mod:`periods`: the checks on the period a document covers.
- :mod:`drafts`: drafts with their wording-check hits; prepare, revise, rebuild.
- :mod:`payloads`: document content as JSON for the register, and back.
- :mod:`documents`: preview, export and regenerate partner summaries, risk
  notifications and clinical summaries.
- :mod:`letters`: what a referral letter says; preview and issue it.
- :mod:`files`: writing a document's file when its unit of work commits, or at once.

The renderers (:mod:`clinic_app.reports`) sit below this package: they are given content
dataclasses and a frame and return bytes, and know nothing of sessions or the register.
"""
