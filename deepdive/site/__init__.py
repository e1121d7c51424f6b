"""The site's pages and feeds: post pages, listings, series, feeds, and the files beside them."""
