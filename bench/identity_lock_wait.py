#!/usr/bin/env python3
"""How long another writer waits while a patron command holds the store.

    bench/identity_lock_wait.py DB COMMAND...

Starts COMMAND and, beside it, takes the write lock of DB (`BEGIN IMMEDIATE;
COMMIT`, busy timeout 60 s, as a writer of the server would) every 10 ms
until COMMAND ends; prints each wait over 0.3 s and the longest. Used for the
golden-record rewrite in BENCHMARKS.md ("Rewriting golden records").
"""
import sqlite3
import subprocess
import sys
import time

db = sys.argv[1]
command = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)
connection = sqlite3.connect(db, timeout=60, isolation_level=None)
waits = []
started = time.time()
while command.poll() is None:
    before = time.time()
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("COMMIT")
    waits.append(time.time() - before)
    if waits[-1] > 0.3:
        print("wait %.2f s at %.2f s" % (waits[-1], before - started))
    time.sleep(0.01)
if command.returncode != 0:
    sys.exit("the command failed (exit %d)" % command.returncode)
print("command %.2f s, %d writes between, longest wait %.3f s"
      % (time.time() - started, len(waits), max(waits, default=0)))
