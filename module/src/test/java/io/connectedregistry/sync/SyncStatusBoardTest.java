package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.RegistryApplication;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.status.ConnectionState;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.status.SyncPhase;
import io.connectedregistry.status.SyncTrigger;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sync keeps its part of the {@link StatusBoard}: a listener hears a manual cycle begin and end,
 * each change once, and the status served and the file agree with what it heard.
 */
class SyncStatusBoardTest {
  @TempDir Path parentData;
  @TempDir Path childData;
  @TempDir Path images;
  RegistryApplication parent;
  int parentPort;
  Vertx vertx;
  LocalRegistryStorage storage;
  SyncService service;
  final ExecutorService notifier = Executors.newSingleThreadExecutor();

  @BeforeEach
  void setUp() throws Exception {
    parentPort = Distribution.freePort();
    parent = RegistryApplication.start(new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withListen("127.0.0.1:" + parentPort).withData(parentData.toString())));
    vertx = Vertx.vertx();
    storage = LocalRegistryStorage.open(childData, LocalRegistryStorage.Options.defaults());
  }

  @AfterEach
  void tearDown() {
    if (service != null) {
      service.stop();
    }
    storage.close();
    Await.result(vertx.close());
    parent.stop();
    notifier.shutdownNow();
  }

  @Test
  void aListenerHearsTheCycleBeginAndEndEachChangeOnce() throws Exception {
    Path layout = images.resolve("one");
    Images.make(layout, "v1", "-l", "2K", "-s", "board-1");
    Images.push(layout, "v1", "127.0.0.1:" + parentPort, "app/one", null);
    Path file = Files.writeString(childData.resolve("child.yaml"), """
        parent: {endpoint: "127.0.0.1:%d", protocol: http}
        sync: {repositories: ["app/*"], schedule: "0 0 1 1 *"}
        """.formatted(parentPort));
    RegistryConfig config = new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(file).withData(childData.toString()));
    StatusBoard board = new StatusBoard(
        RegistryStatus.starting(config.mode(), "test", true), notifier);
    List<RegistryStatus[]> heard = new CopyOnWriteArrayList<>();
    board.subscribe((before, after) -> heard.add(new RegistryStatus[] {before, after}));
    service = SyncService.create(vertx, config, storage, vertx.createSharedWorkerExecutor("registry-storage", 4),
        Clock.systemUTC(), board);

    service.trigger(); // before start(): the only cycle is this manual one
    RegistryStatus done = awaitEnd(service);

    notifier.submit(() -> { }).get(10, TimeUnit.SECONDS);
    List<SyncPhase> phases = new ArrayList<>();
    for (RegistryStatus[] change : heard) {
      assertNotEquals(change[0], change[1], "a notification for no change");
      SyncPhase phase = change[1].sync().syncState();
      if (phases.isEmpty() || phases.get(phases.size() - 1) != phase) {
        phases.add(phase);
      }
    }
    assertEquals(List.of(SyncPhase.Pending, SyncPhase.Syncing, SyncPhase.Succeeded), phases, "heard: " + phases);
    assertEquals(done, heard.get(heard.size() - 1)[1], "the last change heard is the status served");
    assertEquals(SyncTrigger.Manual, done.sync().syncTrigger());
    assertEquals(ConnectionState.Online, done.connectionState());
    assertEquals(Map.of("app/one", 1), done.sync().repositories());
    // The file is written on a worker after the status changes: wait for it (bounded).
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (SyncStatus.load(childData).syncState != SyncPhase.Succeeded && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(SyncPhase.Succeeded, SyncStatus.load(childData).syncState, "the file says the same");
  }

  /**
   * A registry starts Offline (it has not heard its parent yet); once the parent answers the first
   * request of a cycle, the cycle under way says Syncing, not "the parent is unreachable" until the
   * cycle ends (a status page showed a first sync of hours as Offline).
   */
  @Test
  void theFirstCycleSaysSyncingAsSoonAsTheParentAnswers() throws Exception {
    Path layout = images.resolve("first");
    Images.make(layout, "v1", "-l", "2K", "-s", "board-first");
    Images.push(layout, "v1", "127.0.0.1:" + parentPort, "app/first", null);
    Path file = Files.writeString(childData.resolve("child.yaml"), """
        parent: {endpoint: "127.0.0.1:%d", protocol: http}
        sync: {repositories: ["app/*"], schedule: "0 0 1 1 *"}
        """.formatted(parentPort));
    RegistryConfig config = new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(file).withData(childData.toString()));
    StatusBoard board = new StatusBoard(RegistryStatus.starting(config.mode(), "test", true), notifier);
    List<RegistryStatus> heard = new CopyOnWriteArrayList<>();
    board.subscribe((before, after) -> heard.add(after));
    service = SyncService.create(vertx, config, storage, vertx.createSharedWorkerExecutor("registry-storage", 4),
        Clock.systemUTC(), board);

    service.trigger();
    awaitEnd(service);

    notifier.submit(() -> { }).get(10, TimeUnit.SECONDS);
    assertTrue(heard.stream().anyMatch(s -> s.sync().syncState() == SyncPhase.Syncing
            && s.connectionState() == ConnectionState.Syncing),
        () -> "while the cycle ran after the parent answered: " + heard.stream()
            .map(s -> s.sync().syncState() + "/" + s.connectionState()).toList());
  }

  /**
   * While the control plane holds sync (activation refused, or deactivated at the root) neither a
   * manual trigger nor the schedule starts a cycle; released, the waiting trigger runs.
   */
  @Test
  void aHeldServiceStartsNoCycleUntilReleased() throws Exception {
    Path file = Files.writeString(childData.resolve("child.yaml"), """
        parent: {endpoint: "127.0.0.1:%d", protocol: http}
        sync: {repositories: ["app/*"], schedule: "* * * * *"}
        """.formatted(parentPort));
    RegistryConfig config = new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(file).withData(childData.toString()));
    StatusBoard board = new StatusBoard(
        RegistryStatus.starting(config.mode(), "test", true), notifier);
    service = SyncService.create(vertx, config, storage, vertx.createSharedWorkerExecutor("registry-storage", 4),
        Clock.systemUTC(), board);
    service.hold("deactivated at the root (test)");
    service.start(); // the schedule would run a cycle at once
    service.trigger();
    Thread.sleep(2000); // bounded: long enough for a cycle against a local parent to start
    RegistryStatus held = Await.result(service.freshStatus());
    assertEquals(null, held.sync().lastSyncStartTime(), held.toString());

    service.release();
    awaitEnd(service);
  }

  private static RegistryStatus awaitEnd(SyncService service) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      RegistryStatus status = Await.result(service.freshStatus());
      if (status.sync().syncState() == SyncPhase.Succeeded || status.sync().syncState() == SyncPhase.Failed) {
        assertEquals(SyncPhase.Succeeded, status.sync().syncState(), status.toString());
        return status;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the cycle did not end within 60 s");
  }
}
