"""Provider console pages (under /provider/console): the review console goes here."""
