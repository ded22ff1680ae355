"""``@every``: a timer whose interval comes from the config, whose work commits like any other."""

from sqlalchemy import Column, Integer, MetaData, Table, insert

from chassis.health import ServiceBase
from chassis.tables import messaging_tables
from chassis.timers import every
from chassis.unit_of_work import UnitOfWork
from support.services import count
from support.waiting import eventually

metadata = MetaData()
messaging_tables(metadata)
ticks = Table("ticks", metadata, Column("id", Integer, primary_key=True, autoincrement=True))


class TickingService(ServiceBase):
    name = "ticking"
    uow = UnitOfWork(metadata)

    @every("TICK_INTERVAL_S", 3600)
    def tick(self):
        with self.uow.transaction() as tx:
            tx.session.execute(insert(ticks))


def test_a_timer_runs_at_its_configured_interval_and_commits_its_work(
    container_factory, rabbit_config, database_of
):
    url = database_of(metadata)
    config = {**rabbit_config, "DATABASE_URL": url, "TICK_INTERVAL_S": 0.05}
    container = container_factory(TickingService, config)
    container.start()

    # The default interval is an hour: three ticks mean the configured one is used.
    assert eventually(lambda: count(url, ticks) >= 3)
