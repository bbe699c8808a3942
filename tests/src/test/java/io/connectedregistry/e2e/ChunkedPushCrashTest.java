package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.body;
import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.header;
import static io.connectedregistry.e2e.support.Expect.status;
import static io.connectedregistry.e2e.support.RegistryClient.withQuery;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.net.URI;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A chunked push keeps its upload open in memory between PATCHes. A {@code kill -9} between two
 * chunks must lose none of that: after a restart the upload answers the size on disk, resumes from
 * there, refuses a wrong digest (nothing visible) and commits the right one, byte for byte.
 */
class ChunkedPushCrashTest {
  private RegistryProcess registry;

  @AfterEach
  void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void anUploadKilledBetweenChunksResumesFromTheDiskAndCommitsOnlyItsRealDigest() {
    registry = RegistryProcess.startFresh("chunked-crash");
    RegistryClient client = new RegistryClient(registry);
    String repo = "crash/chunked";
    byte[] blob = Digests.randomBytes(77, 3_000_000);
    String digest = Digests.sha256(blob);
    // a second upload, parked too at the kill, that the client abandons after the restart
    byte[] other = Digests.randomBytes(78, 500_000);

    URI upload = client.startUpload(repo);
    Response p1 = status(patch(client, upload, blob, 0, 1_000_000), 202);
    Response p2 = status(patch(client, p1.location(), blob, 1_000_000, 2_000_000), 202);
    URI otherUpload = client.startUpload(repo);
    status(patch(client, otherUpload, other, 0, 250_000), 202);

    registry.kill9();
    registry.start();
    client = new RegistryClient(registry);

    Response progress = status(client.get(p2.location().toString()), 204);
    header(progress, "Range", "0-1999999");
    // a chunk that does not continue the upload is refused and changes nothing
    Response replay = client.patch(p2.location().toString(), Arrays.copyOfRange(blob, 1_000_000, 2_000_000),
        "Content-Type", "application/octet-stream", "Content-Range", "1000000-1999999");
    error(replay, 416, "RANGE_INVALID");
    header(status(client.get(p2.location().toString()), 204), "Range", "0-1999999");

    Response p3 = status(patch(client, p2.location(), blob, 2_000_000, blob.length), 202);
    header(p3, "Range", "0-" + (blob.length - 1));
    String wrong = Digests.sha256(Arrays.copyOfRange(blob, 0, 2_000_000));
    error(client.put(withQuery(p3.location(), "digest", wrong), new byte[0]), 400, "DIGEST_INVALID");
    status(client.head("/v2/" + repo + "/blobs/" + wrong), 404);

    Response done = status(client.put(withQuery(p3.location(), "digest", digest), new byte[0]), 201);
    header(done, "Docker-Content-Digest", digest);
    body(client.get("/v2/" + repo + "/blobs/" + digest), blob);
    assertEquals(204, client.get(otherUpload.toString()).status(), "the other upload is still there to resume");
    header(client.get(otherUpload.toString()), "Range", "0-249999");
  }

  private static Response patch(RegistryClient client, URI location, byte[] blob, int from, int to) {
    return client.patch(location.toString(), Arrays.copyOfRange(blob, from, to),
        "Content-Type", "application/octet-stream", "Content-Range", from + "-" + (to - 1));
  }
}
