"""Installing peerlti into an LMS: the values a registration needs, Dynamic Registration and Canvas's JSON."""
