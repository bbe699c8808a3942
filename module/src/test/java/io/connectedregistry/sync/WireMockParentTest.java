package io.connectedregistry.sync;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.RegistryStorage;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Protocol details a distribution 2.8 cannot show, against WireMock stubs: the Docker Bearer token
 * flow, tag pagination, a referrers index. The real token server is tested later, with the
 * registry's own auth.
 */
class WireMockParentTest {
  static final String TAGS = "/v2/team/app/tags/list";
  static final String CHALLENGE_SCOPE = "repository:team/app:pull";

  WireMockServer wireMock;
  Vertx vertx;

  @BeforeEach
  void setUp() {
    wireMock = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
    wireMock.start();
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    Await.result(vertx.close());
    wireMock.stop();
  }

  private ParentCaller caller(boolean credentials) {
    ParentEndpoint endpoint = ParentEndpoint.of("http://127.0.0.1:" + wireMock.port());
    return new ParentCaller(vertx, credentials ? endpoint.withCredentials("sync", "pw") : endpoint, ParentPolicy.defaults());
  }

  /** Tags need {@code Bearer <token>}; anything else gets the challenge. */
  private void stubTagsRequiring(String token) {
    wireMock.stubFor(get(urlPathEqualTo(TAGS)).atPriority(1)
        .withHeader("Authorization", equalTo("Bearer " + token))
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
            .withBody("{\"name\":\"team/app\",\"tags\":[\"v1\"]}")));
    wireMock.stubFor(get(urlPathEqualTo(TAGS)).atPriority(5)
        .willReturn(aResponse().withStatus(401)
            .withHeader("WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:" + wireMock.port()
                + "/token\",service=\"test-registry\",scope=\"" + CHALLENGE_SCOPE + "\"")
            .withBody("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}")));
  }

  private void stubTokenServer(String token, boolean basic) {
    var request = get(urlPathEqualTo("/token")).atPriority(1)
        .withQueryParam("service", equalTo("test-registry"))
        .withQueryParam("scope", equalTo(CHALLENGE_SCOPE));
    request = basic ? request.withBasicAuth("sync", "pw") : request.withHeader("Authorization", absent());
    wireMock.stubFor(request.willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
        .withBody("{\"token\":\"" + token + "\",\"expires_in\":300}")));
    wireMock.stubFor(get(urlPathEqualTo("/token")).atPriority(5).willReturn(aResponse().withStatus(401)));
  }

  @Test
  void bearerTokenIsFetchedWithBasicCredentialsCachedAndSentUpFront() {
    stubTagsRequiring("tok-1");
    stubTokenServer("tok-1", true);
    ListTags tags = new ListTags(caller(true), 100);

    assertEquals(Optional.of(List.of("v1")), Await.result(tags.list("team/app")).map(Listing::entries));
    wireMock.verify(1, getRequestedFor(urlPathEqualTo("/token")));
    wireMock.verify(2, getRequestedFor(urlPathEqualTo(TAGS))); // challenge, then with the token

    assertEquals(Optional.of(List.of("v1")), Await.result(tags.list("team/app")).map(Listing::entries));
    wireMock.verify(1, getRequestedFor(urlPathEqualTo("/token")));
    wireMock.verify(3, getRequestedFor(urlPathEqualTo(TAGS))); // cached token sent up front
  }

  @Test
  void refusedTokenIsRefreshedOnALater401() {
    stubTagsRequiring("tok-1");
    stubTokenServer("tok-1", true);
    ListTags tags = new ListTags(caller(true), 100);
    Await.result(tags.list("team/app"));

    // The parent revokes tok-1 and its token server now hands out tok-2.
    wireMock.resetMappings();
    stubTagsRequiring("tok-2");
    stubTokenServer("tok-2", true);

    assertEquals(Optional.of(List.of("v1")), Await.result(tags.list("team/app")).map(Listing::entries));
    wireMock.verify(2, getRequestedFor(urlPathEqualTo("/token")));
    wireMock.verify(1, getRequestedFor(urlPathEqualTo(TAGS)).withHeader("Authorization", equalTo("Bearer tok-2")));
  }

  @Test
  void anonymousTokenIsFetchedWithoutCredentials() {
    stubTagsRequiring("anon");
    stubTokenServer("anon", false);
    assertEquals(Optional.of(List.of("v1")), Await.result(new ListTags(caller(false), 100).list("team/app")).map(Listing::entries));
    wireMock.verify(1, getRequestedFor(urlPathEqualTo("/token")).withHeader("Authorization", absent()));
  }

  @Test
  void tokenServerRefusalFailsWith401() {
    stubTagsRequiring("tok-1");
    wireMock.stubFor(get(urlPathEqualTo("/token")).willReturn(aResponse().withStatus(401)));
    Throwable failure = Await.failure(new ListTags(caller(true), 100).list("team/app"));
    assertEquals(401, assertInstanceOf(ParentStatusException.class, failure).status());
    wireMock.verify(1, getRequestedFor(urlPathEqualTo("/token"))); // a 401 is not retried
  }

  @Test
  void tagPagesAreFollowedThroughLinkHeaders() {
    wireMock.stubFor(get(urlPathEqualTo(TAGS)).withQueryParam("last", absent())
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
            .withHeader("Link", "<" + TAGS + "?n=2&last=b>; rel=\"next\"")
            .withBody("{\"name\":\"team/app\",\"tags\":[\"a\",\"b\"]}")));
    wireMock.stubFor(get(urlPathEqualTo(TAGS)).withQueryParam("last", equalTo("b"))
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
            .withBody("{\"name\":\"team/app\",\"tags\":[\"c\"]}")));

    assertEquals(Optional.of(List.of("a", "b", "c")), Await.result(new ListTags(caller(false), 2).list("team/app")).map(Listing::entries));
    wireMock.verify(1, getRequestedFor(urlPathEqualTo(TAGS)).withQueryParam("n", equalTo("2")).withQueryParam("last", absent()));
  }

  @Test
  void blobRedirectToAnotherHostIsFollowedWithoutCredentials(@TempDir Path dataDir) {
    byte[] content = "layer bytes kept in object storage".getBytes(StandardCharsets.UTF_8);
    Digest digest = Digest.sha256(content);
    String blob = "/v2/team/app/blobs/" + digest;
    WireMockServer objectStore = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
    objectStore.start();
    try {
      wireMock.stubFor(get(urlPathEqualTo(blob)).atPriority(1).withBasicAuth("sync", "pw")
          .willReturn(aResponse().withStatus(307)
              .withHeader("Location", "http://127.0.0.1:" + objectStore.port() + "/bucket/blob?signature=abc")));
      wireMock.stubFor(get(urlPathEqualTo(blob)).atPriority(5)
          .willReturn(aResponse().withStatus(401).withHeader("WWW-Authenticate", "Basic realm=\"test\"")));
      objectStore.stubFor(get(urlPathEqualTo("/bucket/blob")).withHeader("Authorization", absent())
          .willReturn(aResponse().withStatus(200).withBody(content)));

      WorkerExecutor worker = vertx.createSharedWorkerExecutor("registry-storage", 2);
      try (RegistryStorage storage = LocalRegistryStorage.open(dataDir, LocalRegistryStorage.Options.defaults())) {
        BlobFetcher.Result result = Await.result(
            new BlobFetcher(caller(true), storage, worker, new TransferCounter()).fetch("team/app", digest));
        assertEquals(content.length, result.size());
        assertEquals(Optional.of((long) content.length), storage.blobSize("team/app", digest));
      }
      objectStore.verify(1, getRequestedFor(urlPathEqualTo("/bucket/blob"))
          .withQueryParam("signature", equalTo("abc")).withHeader("Authorization", absent()));
    } finally {
      objectStore.stop();
    }
  }

  @Test
  void referrersIndexIsParsed() {
    Digest subject = Digest.sha256("subject".getBytes());
    Digest signature = Digest.sha256("signature".getBytes());
    wireMock.stubFor(get(urlPathEqualTo("/v2/team/app/referrers/" + subject))
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/vnd.oci.image.index.v1+json")
            .withBody("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
                + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + signature
                + "\",\"size\":123,\"artifactType\":\"application/vnd.example.sig\","
                + "\"annotations\":{\"org.example\":\"yes\"}}]}")));

    List<Descriptor> referrers = Await.result(new ListReferrers(caller(false)).list("team/app", subject)).orElseThrow().entries();
    assertEquals(1, referrers.size());
    assertEquals(signature, referrers.get(0).digest());
    assertEquals(123, referrers.get(0).size());
    assertEquals("application/vnd.example.sig", referrers.get(0).artifactType());
    assertEquals("yes", referrers.get(0).annotations().get("org.example"));
  }
}
