"""What the e2e test modules share; a test module imports from here, never from another one."""
