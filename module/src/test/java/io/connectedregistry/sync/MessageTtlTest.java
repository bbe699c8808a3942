package io.connectedregistry.sync;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.connectedregistry.RegistryApplication;
import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sync.messageTtl with a parent of this project (the change feed): a change that keeps failing
 * holds the feed back until it is older than the TTL (by the parent's timestamp); then it is
 * given up, reported as expired, and the changes after it are applied. The parent runs in-process; WireMock in front
 * of it refuses one manifest; the clock is moved by hand.
 */
class MessageTtlTest {
  @TempDir Path parentData;
  @TempDir Path childData;
  @TempDir Path images;
  RegistryApplication parent;
  int parentPort;
  WireMockServer wireMock;
  Vertx vertx;
  WorkerExecutor worker;
  ParentCaller caller;
  LocalRegistryStorage storage;
  final MutableClock clock = new MutableClock();

  /** A clock the test moves by hand. */
  static final class MutableClock extends java.time.Clock {
    java.time.Instant now = java.time.Instant.now();

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public java.time.Instant instant() {
      return now;
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    parentPort = Distribution.freePort();
    RegistryConfig config = new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withListen("127.0.0.1:" + parentPort).withData(parentData.toString()));
    parent = RegistryApplication.start(config);
    wireMock = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
    wireMock.start();
    wireMock.stubFor(any(anyUrl()).atPriority(10)
        .willReturn(aResponse().proxiedFrom("http://127.0.0.1:" + parentPort)));
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("registry-storage", 4);
    caller = new ParentCaller(vertx, ParentEndpoint.of("http://127.0.0.1:" + wireMock.port()),
        ParentPolicy.defaults());
    storage = LocalRegistryStorage.open(childData, LocalRegistryStorage.Options.defaults());
  }

  @AfterEach
  void tearDown() {
    caller.close();
    storage.close();
    Await.result(vertx.close());
    wireMock.stop();
    parent.stop();
  }

  private DownstreamSync.Report cycle() {
    SyncState state = SyncState.load(childData, "parent");
    TransferCounter counter = new TransferCounter();
    DownstreamSync sync = new DownstreamSync(caller, storage, worker, state,
        List.of(RepositoryPattern.of("ttl/*")), TagFilter.ALL,
        new BlobFetcher(caller, storage, worker, counter), counter, true, Duration.ofDays(2), clock);
    return Await.result(vertx.getOrCreateContext().<DownstreamSync.Report>executeBlocking(
        () -> Await.result(sync.run(() -> false)), false));
  }

  private Digest push(String tag, String seed) {
    Path layout = images.resolve(seed);
    Images.make(layout, tag, "-l", "2K", "-s", seed);
    return Images.push(layout, tag, "127.0.0.1:" + parentPort, "ttl/app", null);
  }

  @Test
  void aChangeFailingLongerThanTheTtlIsReportedAsExpiredAndTheFeedMovesOn() {
    assertTrue(cycle().succeeded(), "first cycle: nothing yet, the cursor starts at the head");

    Digest broken = push("broken", "ttl-broken");
    wireMock.stubFor(get(urlPathEqualTo("/v2/ttl/app/manifests/" + broken)).atPriority(1)
        .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
            .withBody("{\"errors\":[{\"code\":\"MANIFEST_INVALID\",\"message\":\"refused by the test\"}]}")));
    Digest later = push("later", "ttl-later");

    DownstreamSync.Report failing = cycle();
    assertFalse(failing.succeeded());
    assertTrue(failing.feed());
    assertFalse(storage.manifest("ttl/app", Reference.parse("later")).isPresent(),
        "the change after the failing one waits, so changes apply in order");

    clock.now = clock.now.plus(Duration.ofDays(1));
    DownstreamSync.Report stillFailing = cycle();
    assertFalse(stillFailing.succeeded());
    assertFalse(stillFailing.errors().toString().contains("expired"), stillFailing.errors().toString());
    assertFalse(storage.manifest("ttl/app", Reference.parse("later")).isPresent());

    clock.now = clock.now.plus(Duration.ofDays(1).plusMinutes(1));
    DownstreamSync.Report expired = cycle();
    assertFalse(expired.succeeded(), "an expired change is reported, not silently dropped");
    assertTrue(expired.errors().stream().anyMatch(e -> e.contains("expired") && e.contains("ttl/app:broken")),
        expired.errors().toString());
    assertEquals(later, storage.manifest("ttl/app", Reference.parse("later")).orElseThrow().digest(),
        "the feed moved on past the expired change");
    assertFalse(storage.manifest("ttl/app", Reference.parse("broken")).isPresent());

    assertTrue(cycle().succeeded(), "and the next cycle is clean again");
  }
}
