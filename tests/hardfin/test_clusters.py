"""tools/clusters.py, which bin/production, bench/soak and the replica tests stand on: a replica
made with pg_basebackup streams the primary's writes, holds still while its replay is paused,
catches up when resumed, and leaves nothing behind (no directory, no replication slot)."""

import pytest

from tools.clusters import Cluster, Replica

pytestmark = pytest.mark.postgres


def total(cluster):
    with cluster.connect("x") as conn:
        return conn.execute("SELECT sum(n) FROM t").fetchone()[0]


def test_a_replica_streams_pauses_resumes_and_is_removed():
    with Cluster() as primary:
        with Replica(primary) as replica:
            primary.create_database("x")
            with primary.connect("x") as conn:
                conn.execute("CREATE TABLE t (n int); INSERT INTO t VALUES (1)")
            replica.wait_caught_up()
            assert total(replica) == 1
            with replica.paused():
                with primary.connect("x") as conn:
                    conn.execute("INSERT INTO t VALUES (2)")
                assert total(primary) == 3
                assert total(replica) == 1
            replica.wait_caught_up()
            assert total(replica) == 3
            with replica.connect() as conn:
                assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
            workdir = replica.workdir
        assert not workdir.exists()
        with primary.connect() as conn:
            assert conn.execute("SELECT count(*) FROM pg_replication_slots").fetchone()[0] == 0
        primary_dir = primary.workdir
    assert not primary_dir.exists()
