"""The Flask application and the LTI 1.3 edge of peerlti."""
