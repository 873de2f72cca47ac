"""The only code of pxStats that runs ssh, rsync or paramiko.

names     checks every machine, login, client and remote path before any process starts
settings  where the operator's ssh_config and known_hosts are, timeouts
commands  remote commands through paramiko (exit status, stdout, stderr captured)
rsync     rsync argument lists, run here or on another machine
roots     remote root discovery (Sundew's PXROOT, pxStats' STATSROOT), cached per run
"""
