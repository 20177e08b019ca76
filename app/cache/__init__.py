"""The fast path: how a public read is answered without rebuilding it, and why it is never stale.

One number drives everything: the **data revision** (table `data_revision`). Every write that changes
published data bumps it in the writing transaction (app.store.queries.bump_data_revision), together with the
`changed_revision` of each company the write concerns, and notes those companies in the session.

A read then goes through up to four layers, cheapest first:

1. `fast_path.ReadCacheMiddleware`: before routing, a GET without credentials that this worker already
   answered is answered again from memory, provided a fresh read of the revision (`revisions`, one shared
   query per batch of requests) still equals the revision the answer was made at.
2. `responses.revision_cached`: inside the route, the same answer keyed by revision and request inputs
   (ETag, 304 via `etags`, pre-compressed bodies); it also files the answer for step 1.
3. `page_store`: for a company's default overview, a page stored in the database with the revision it was
   built at, usable by every worker while the company's `changed_revision` is not newer.
4. Building the page from the store and the domain (app.web / app.api), once per answer at a time in a
   worker: readers who ask while it is being built wait for that build (`single_flight`).

After a commit that changed published data, `publish_hooks` hands the changed companies to a render thread
and the write answers; once the writes pause (a quarter of a second without one, at most a second after the
first), the thread has the worker's render process (`render_process`) run the registered hooks (the overview's
pre-render, registered by app.main) in a fresh session, so the readers after a release get step 3 (a reader of
the rendering worker waits for the render in flight rather than build the same page beside it; one who comes
before it started builds and stores the page, and the render skips it), and the render's CPU is not taken from
the readers the worker answers meanwhile.
Nothing here is needed for correctness: any failure falls through to the next layer, at worst to step 4.
"""
