"""HTTP plumbing shared by the pages and the API: middleware (request id and logging, security headers,
cross-origin guard, body limit, no-store for staff), problem details, the login dependencies, templates,
static assets and the health probes."""
