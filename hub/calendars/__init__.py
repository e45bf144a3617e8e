"""Office calendars: each year's public holidays and make-up working days, published from files."""
