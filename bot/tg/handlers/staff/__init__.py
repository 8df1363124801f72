"""Admin commands and buttons: roles, tips review, rule editing, unanswered questions, statistics."""
