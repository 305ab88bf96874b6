"""A development LMS (LTI 1.3 platform) that launches peerlti without an LMS of your own."""
