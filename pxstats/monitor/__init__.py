"""The checks, report, state files and e-mail of statsMonitor (spec ops.md §5); the action
that runs them is pxstats.actions.monitor.

columbo   maxSettings.conf and the PX_Errors.txt* error log
checks    the original's checks, in report order
extra     the checks the original never made (§5.7)
report    sections, text, HTML and JSON, the subject
state     the state files and saved reports under data/monitoring/
mail      the multipart/alternative message and smtplib
texts     every word, in English and French
"""
