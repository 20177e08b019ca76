"""HTTP plumbing shared by the pages and the API: middleware (request id and logging, security headers, the
last-resort 500 and error rendering in errors.py, HEAD/OPTIONS/Allow in methods.py, cross-origin guard, the
input guard refusing what no route can take, body limit, no-store for staff), problem details, the login
dependencies, templates, static assets and the health probes."""
