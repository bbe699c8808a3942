package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.body;
import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.errorWithStatusIn;
import static io.connectedregistry.e2e.support.Expect.header;
import static io.connectedregistry.e2e.support.Expect.status;
import static io.connectedregistry.e2e.support.RegistryClient.withQuery;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Blob endpoints of the OCI Distribution API over plain HTTP: every way to upload (monolithic
 * POST, POST + PUT, chunked PATCH, streamed PATCH), upload status and cancel, digest checks,
 * HEAD/GET/Range/DELETE, sha512, per-repository visibility and cross-repository mount.
 */
class BlobApiTest {

  private static final AtomicInteger SEED = new AtomicInteger(1000);
  private static RegistryProcess registry;
  private static RegistryClient client;

  @BeforeAll
  static void startRegistry() {
    registry = RegistryProcess.startFresh("blob-api");
    client = new RegistryClient(registry);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  private static String repo(String name) {
    return "blobs/" + name + "-" + SEED.incrementAndGet();
  }

  private static byte[] data(int size) {
    return Digests.randomBytes(SEED.incrementAndGet(), size);
  }

  /** Range header of an upload answer: the spec writes {@code 0-<last>} (some clients send {@code bytes=}). */
  private static void assertUploadRange(Response r, long lastByte) {
    String range = r.headerOrNull("Range");
    assertTrue(range != null && range.matches("(bytes=)?0-" + lastByte),
        () -> "Range should be 0-" + lastByte + ": " + r.describe());
  }

  // ------------------------------------------------------------------------------------------
  // uploads

  @Test
  void aMonolithicPostWithDigestStoresTheBlobInOneRequest() {
    String repo = repo("monolithic");
    byte[] blob = data(70_000);
    String digest = Digests.sha256(blob);

    Response r = client.post("/v2/" + repo + "/blobs/uploads/?digest=" + RegistryClient.encode(digest), blob,
        "Content-Type", "application/octet-stream");

    status(r, 201);
    header(r, "Docker-Content-Digest", digest);
    assertEquals(client.uri("/v2/" + repo + "/blobs/" + digest), r.location(), () -> "Location: " + r);
    body(client.get("/v2/" + repo + "/blobs/" + digest), blob);
  }

  @Test
  void aPostThenPutStoresTheBlobAndHeadDescribesIt() {
    String repo = repo("post-put");
    byte[] blob = data(123_457);
    String digest = Digests.sha256(blob);

    Response start = client.post("/v2/" + repo + "/blobs/uploads/", new byte[0]);
    status(start, 202);
    URI upload = start.location();
    Response done = client.put(withQuery(upload, "digest", digest), blob, "Content-Type", "application/octet-stream");

    status(done, 201);
    header(done, "Docker-Content-Digest", digest);
    body(client.get(done.location().toString()), blob);
    Response head = status(client.head("/v2/" + repo + "/blobs/" + digest), 200);
    header(head, "Content-Length", Integer.toString(blob.length));
    header(head, "Docker-Content-Digest", digest);
    assertEquals(0, head.body().length, "HEAD has no body");
    Response get = client.get("/v2/" + repo + "/blobs/" + digest);
    header(get, "Docker-Content-Digest", digest);
    header(get, "Content-Length", Integer.toString(blob.length));
  }

  @Test
  void aChunkedUploadWithContentRangeAssemblesTheBlobAndReportsProgress() {
    String repo = repo("chunked");
    byte[] blob = data(300_000);
    String digest = Digests.sha256(blob);
    byte[] c1 = Arrays.copyOfRange(blob, 0, 100_000);
    byte[] c2 = Arrays.copyOfRange(blob, 100_000, 250_000);
    byte[] last = Arrays.copyOfRange(blob, 250_000, blob.length);

    URI upload = client.startUpload(repo);
    Response p1 = client.patch(upload.toString(), c1, "Content-Type", "application/octet-stream",
        "Content-Range", "0-99999");
    status(p1, 202);
    assertUploadRange(p1, 99_999);
    Response p2 = client.patch(p1.location().toString(), c2, "Content-Type", "application/octet-stream",
        "Content-Range", "100000-249999");
    status(p2, 202);
    assertUploadRange(p2, 249_999);
    Response put = client.put(withQuery(p2.location(), "digest", digest), last,
        "Content-Type", "application/octet-stream", "Content-Range", "250000-" + (blob.length - 1));

    status(put, 201);
    header(put, "Docker-Content-Digest", digest);
    body(client.get("/v2/" + repo + "/blobs/" + digest), blob);
  }

  @Test
  void aStreamedPatchWithoutContentRangeAppendsToTheUpload() {
    String repo = repo("streamed");
    byte[] blob = data(200_000);
    String digest = Digests.sha256(blob);

    URI upload = client.startUpload(repo);
    Response p1 = status(client.patch(upload.toString(), Arrays.copyOfRange(blob, 0, 120_000),
        "Content-Type", "application/octet-stream"), 202);
    assertUploadRange(p1, 119_999);
    Response p2 = status(client.patch(p1.location().toString(), Arrays.copyOfRange(blob, 120_000, blob.length),
        "Content-Type", "application/octet-stream"), 202);
    assertUploadRange(p2, blob.length - 1);
    status(client.put(withQuery(p2.location(), "digest", digest), new byte[0]), 201);

    body(client.get("/v2/" + repo + "/blobs/" + digest), blob);
  }

  @Test
  void theNextRequestOfAnUploadSentRightAfterTheLastAnswerIsNeverRefusedAsBusy() throws Exception {
    // skopeo, containerd and podman send PATCH -> PUT back to back, several uploads in parallel
    String repo = repo("back-to-back");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<String>> results = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      results.add(pool.submit(() -> {
        StringBuilder failures = new StringBuilder();
        for (int i = 0; i < 40; i++) {
          byte[] blob = Digests.randomBytes(thread * 1000L + i + 77_000, 3000);
          URI upload = client.startUpload(repo);
          Response p1 = client.patch(upload.toString(), Arrays.copyOfRange(blob, 0, 1000),
              "Content-Type", "application/octet-stream");
          if (p1.status() != 202) {
            failures.append("\n  first PATCH: ").append(p1.describe());
            continue;
          }
          Response p2 = client.patch(p1.location().toString(), Arrays.copyOfRange(blob, 1000, 2000),
              "Content-Type", "application/octet-stream");
          if (p2.status() != 202) {
            failures.append("\n  second PATCH: ").append(p2.describe());
            continue;
          }
          Response put = client.put(withQuery(p2.location(), "digest", Digests.sha256(blob)),
              Arrays.copyOfRange(blob, 2000, 3000), "Content-Type", "application/octet-stream");
          if (put.status() != 201) {
            failures.append("\n  PUT: ").append(put.describe());
          }
        }
        return failures.toString();
      }));
    }
    pool.shutdown();
    StringBuilder all = new StringBuilder();
    for (Future<String> f : results) {
      all.append(f.get(120, TimeUnit.SECONDS));
    }
    assertEquals("", all.toString(), "320 uploads of PATCH, PATCH, PUT sent back to back on 8 threads all succeed");
  }

  @Test
  void anOutOfOrderPatchIsRefusedWith416AndTheUploadCanResume() {
    String repo = repo("out-of-order");
    byte[] blob = data(300);
    String digest = Digests.sha256(blob);

    URI upload = client.startUpload(repo);
    Response p1 = status(client.patch(upload.toString(), Arrays.copyOfRange(blob, 0, 100),
        "Content-Type", "application/octet-stream", "Content-Range", "0-99"), 202);
    URI next = p1.location();

    Response gap = client.patch(next.toString(), Arrays.copyOfRange(blob, 200, 300),
        "Content-Type", "application/octet-stream", "Content-Range", "200-299");
    status(gap, 416);
    if (gap.header("Range").isPresent()) {
      assertUploadRange(gap, 99);
    }
    Response overlap = client.patch(next.toString(), Arrays.copyOfRange(blob, 0, 100),
        "Content-Type", "application/octet-stream", "Content-Range", "0-99");
    status(overlap, 416);

    Response state = status(client.get(next.toString()), 204);
    assertUploadRange(state, 99);
    Response p2 = status(client.patch(next.toString(), Arrays.copyOfRange(blob, 100, 300),
        "Content-Type", "application/octet-stream", "Content-Range", "100-299"), 202);
    status(client.put(withQuery(p2.location(), "digest", digest), new byte[0]), 201);
    body(client.get("/v2/" + repo + "/blobs/" + digest), blob);
  }

  @Test
  void theUploadStatusAnswers204WithTheRangeReceivedSoFar() {
    String repo = repo("status");
    URI upload = client.startUpload(repo);
    Response p = status(client.patch(upload.toString(), data(1000),
        "Content-Type", "application/octet-stream", "Content-Range", "0-999"), 202);

    Response s = client.get(p.location().toString());

    status(s, 204);
    assertUploadRange(s, 999);
    assertTrue(s.header("Location").isPresent(), () -> "status answer carries Location: " + s);
    assertEquals(0, s.body().length);
  }

  @Test
  void aCancelledUploadIsForgottenAndAnswersBlobUploadUnknown() {
    String repo = repo("cancel");
    byte[] part = data(5000);
    URI upload = client.startUpload(repo);
    Response p = status(client.patch(upload.toString(), part,
        "Content-Type", "application/octet-stream", "Content-Range", "0-4999"), 202);
    URI loc = p.location();

    status(client.delete(loc.toString()), 204);

    error(client.get(loc.toString()), 404, "BLOB_UPLOAD_UNKNOWN");
    error(client.patch(loc.toString(), data(10), "Content-Type", "application/octet-stream",
        "Content-Range", "5000-5009"), 404, "BLOB_UPLOAD_UNKNOWN");
    error(client.put(withQuery(loc, "digest", Digests.sha256(part)), new byte[0]), 404, "BLOB_UPLOAD_UNKNOWN");
    error(client.delete(loc.toString()), 404, "BLOB_UPLOAD_UNKNOWN");
    status(client.head("/v2/" + repo + "/blobs/" + Digests.sha256(part)), 404);
  }

  @Test
  void aDigestMismatchOnPutIsRefusedAndNothingBecomesVisible() {
    String repo = repo("mismatch");
    byte[] blob = data(4096);
    byte[] other = data(4096);
    String claimed = Digests.sha256(other);

    URI upload = client.startUpload(repo);
    Response r = client.put(withQuery(upload, "digest", claimed), blob, "Content-Type", "application/octet-stream");

    error(r, 400, "DIGEST_INVALID");
    status(client.head("/v2/" + repo + "/blobs/" + claimed), 404);
    status(client.head("/v2/" + repo + "/blobs/" + Digests.sha256(blob)), 404);
  }

  @Test
  void aPutWithoutDigestDoesNotCompleteTheUpload() {
    String repo = repo("no-digest");
    byte[] blob = data(1000);
    URI upload = client.startUpload(repo);

    Response r = client.put(upload.toString(), blob, "Content-Type", "application/octet-stream");

    errorWithStatusIn(r, List.of(400), "DIGEST_INVALID", "BLOB_UPLOAD_INVALID");
    status(client.head("/v2/" + repo + "/blobs/" + Digests.sha256(blob)), 404);
  }

  @Test
  void aDigestMismatchOnMonolithicPostIsRefusedAndNothingBecomesVisible() {
    String repo = repo("mismatch-post");
    byte[] blob = data(4096);
    String claimed = Digests.sha256(data(4096));

    Response r = client.post("/v2/" + repo + "/blobs/uploads/?digest=" + RegistryClient.encode(claimed), blob,
        "Content-Type", "application/octet-stream");

    error(r, 400, "DIGEST_INVALID");
    status(client.head("/v2/" + repo + "/blobs/" + claimed), 404);
    status(client.head("/v2/" + repo + "/blobs/" + Digests.sha256(blob)), 404);
  }

  @Test
  void aMalformedDigestIsRefusedWithDigestInvalid() {
    String repo = repo("malformed");
    URI upload = client.startUpload(repo);

    error(client.put(withQuery(upload, "digest", "sha256:1234"), data(10)), 400, "DIGEST_INVALID");
    errorWithStatusIn(client.get("/v2/" + repo + "/blobs/sha256:not-hex"), List.of(400, 404),
        "DIGEST_INVALID", "BLOB_UNKNOWN");
  }

  // ------------------------------------------------------------------------------------------
  // reading and deleting

  @Test
  void aRangeGetAnswers206WithThatPartOfTheBlob() {
    String repo = repo("range");
    byte[] blob = data(10_000);
    String digest = client.pushBlob(repo, blob);
    String url = "/v2/" + repo + "/blobs/" + digest;

    Response mid = client.get(url, "Range", "bytes=100-1099");
    status(mid, 206);
    assertArrayEquals(Arrays.copyOfRange(blob, 100, 1100), mid.body());
    header(mid, "Content-Range", "bytes 100-1099/10000");

    Response tail = client.get(url, "Range", "bytes=9000-");
    status(tail, 206);
    assertArrayEquals(Arrays.copyOfRange(blob, 9000, 10_000), tail.body());
    header(tail, "Content-Range", "bytes 9000-9999/10000");
  }

  @Test
  void aRangeBeyondTheEndOfTheBlobAnswers416() {
    String repo = repo("range-416");
    String digest = client.pushBlob(repo, data(1000));

    Response r = client.get("/v2/" + repo + "/blobs/" + digest, "Range", "bytes=5000-6000");

    status(r, 416);
  }

  @Test
  void anUnknownBlobAnswers404BlobUnknown() {
    String repo = repo("unknown");
    client.pushBlob(repo, data(10)); // the repository exists, the blob does not
    String missing = Digests.sha256(data(10));

    error(client.get("/v2/" + repo + "/blobs/" + missing), 404, "BLOB_UNKNOWN");
    Response head = status(client.head("/v2/" + repo + "/blobs/" + missing), 404);
    assertEquals(0, head.body().length);
  }

  @Test
  void aBlobIsVisibleOnlyInTheRepositoryItWasPushedTo() {
    String a = repo("visible-a");
    String b = repo("visible-b");
    String digest = client.pushBlob(a, data(2000));
    client.pushBlob(b, data(10));

    status(client.head("/v2/" + a + "/blobs/" + digest), 200);
    status(client.head("/v2/" + b + "/blobs/" + digest), 404);
    error(client.get("/v2/" + b + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
  }

  @Test
  void aDeletedBlobIsGoneFromItsRepositoryButNotFromAnother() {
    String a = repo("delete-a");
    String b = repo("delete-b");
    byte[] blob = data(3000);
    String digest = client.pushBlob(a, blob);
    client.pushBlob(b, blob);

    status(client.delete("/v2/" + a + "/blobs/" + digest), 202);

    status(client.head("/v2/" + a + "/blobs/" + digest), 404);
    error(client.get("/v2/" + a + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    error(client.delete("/v2/" + a + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    body(client.get("/v2/" + b + "/blobs/" + digest), blob);
  }

  @Test
  void aSha512BlobIsStoredVerifiedAndServedUnderItsSha512Digest() {
    String repo = repo("sha512");
    byte[] blob = data(50_000);
    String digest = Digests.sha512(blob);

    Response mono = client.post("/v2/" + repo + "/blobs/uploads/?digest=" + RegistryClient.encode(digest), blob,
        "Content-Type", "application/octet-stream");
    status(mono, 201);
    header(mono, "Docker-Content-Digest", digest);
    Response get = body(client.get("/v2/" + repo + "/blobs/" + digest), blob);
    header(get, "Docker-Content-Digest", digest);
    header(status(client.head("/v2/" + repo + "/blobs/" + digest), 200), "Content-Length", "50000");

    byte[] chunked = data(40_000);
    String chunkedDigest = Digests.sha512(chunked);
    URI upload = client.startUpload(repo);
    Response p = status(client.patch(upload.toString(), chunked, "Content-Type", "application/octet-stream",
        "Content-Range", "0-39999"), 202);
    status(client.put(withQuery(p.location(), "digest", chunkedDigest), new byte[0]), 201);
    body(client.get("/v2/" + repo + "/blobs/" + chunkedDigest), chunked);

    URI bad = client.startUpload(repo);
    error(client.put(withQuery(bad, "digest", Digests.sha512(data(10))), data(10)), 400, "DIGEST_INVALID");
  }

  // ------------------------------------------------------------------------------------------
  // cross-repository mount

  @Test
  void aMountFromARepositoryHoldingTheBlobAnswers201WithoutAnUpload() {
    String from = repo("mount-src");
    String to = repo("mount-dst");
    byte[] blob = data(64_000);
    String digest = client.pushBlob(from, blob);

    Response r = client.post("/v2/" + to + "/blobs/uploads/?mount=" + RegistryClient.encode(digest)
        + "&from=" + RegistryClient.encode(from), new byte[0]);

    status(r, 201);
    header(r, "Docker-Content-Digest", digest);
    assertEquals(client.uri("/v2/" + to + "/blobs/" + digest), r.location(), () -> "Location: " + r);
    body(client.get("/v2/" + to + "/blobs/" + digest), blob);
  }

  @Test
  void aMountFromARepositoryWithoutTheBlobFallsBackToAnUpload() {
    String holder = repo("mount-holder");
    String from = repo("mount-empty-src");
    String to = repo("mount-fallback");
    byte[] blob = data(5000);
    String digest = client.pushBlob(holder, blob); // known to the registry, but not in "from"
    client.pushBlob(from, data(10));

    Response r = client.post("/v2/" + to + "/blobs/uploads/?mount=" + RegistryClient.encode(digest)
        + "&from=" + RegistryClient.encode(from), new byte[0]);

    status(r, 202);
    status(client.head("/v2/" + to + "/blobs/" + digest), 404);
    Response put = client.put(withQuery(r.location(), "digest", digest), blob, "Content-Type", "application/octet-stream");
    status(put, 201);
    body(client.get("/v2/" + to + "/blobs/" + digest), blob);
  }

  @Test
  void aMountOfADigestUnknownToTheRegistryFallsBackToAnUpload() {
    String from = repo("mount-src-unknown");
    String to = repo("mount-dst-unknown");
    client.pushBlob(from, data(10));

    Response r = client.post("/v2/" + to + "/blobs/uploads/?mount="
        + RegistryClient.encode(Digests.sha256(data(77))) + "&from=" + RegistryClient.encode(from), new byte[0]);

    status(r, 202);
    assertTrue(r.header("Location").isPresent(), () -> "fallback upload needs a Location: " + r);
  }

  // ------------------------------------------------------------------------------------------
  // streaming

  @Test
  void aBlobStreamedWithoutContentLengthIsStoredIntact() {
    String repo = repo("chunked-encoding");
    byte[] blob = data(2_000_000);
    String digest = Digests.sha256(blob);
    URI upload = client.startUpload(repo);

    // ofInputStream has no known length, so HttpClient sends Transfer-Encoding: chunked
    Response r = client.send("PUT", withQuery(upload, "digest", digest),
        BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(blob)),
        "Content-Type", "application/octet-stream");

    status(r, 201);
    body(client.get("/v2/" + repo + "/blobs/" + digest), blob);
  }
}
