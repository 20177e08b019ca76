"""HTML pages: the investor pages (overview, site, chart tables and CSVs, compare) and the staff side (login,
monthly entry, import, admin of accounts, companies, sites, events and tokens)."""
