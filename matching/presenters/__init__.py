"""Domain values of matching in words for pages: offers, reasons, the questionnaire's steps."""
