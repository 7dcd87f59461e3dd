"""Process trees read from /proc: the one walk used by the sandbox's chaos actions
(services/_ec2_chaos.py) and by the SSH node pool (tests/support/sshd_nodes.py, which loads
this file by its path), to find what a node's sshd started."""
import os


def descendants(pids):
    """Every live descendant of the given pids (sshd forks a child per connection, and that
    child calls setsid, so process groups do not catch them)."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
            ppid = int(stat[stat.rfind(')') + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], list(pids)
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out
