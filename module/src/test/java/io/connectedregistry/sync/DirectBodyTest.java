package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.RegistryStorage;
import io.connectedregistry.storage.UploadWriteStream;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A blob's body comes down the direct way ({@link ParentBodyTap} → {@link DirectBody} → upload):
 * the mark that asks for it never reaches the parent, and a body nobody takes stops the socket
 * instead of filling memory. (Wrong digests, over-long bodies, drops and the bandwidth limit on
 * this path are covered by ParentBoundsTest and DownstreamSyncFaultTest, whose downloads now take
 * it too.)
 */
class DirectBodyTest {
  static final String REPO = "team/app";

  @TempDir Path dataDir;
  ScriptedServer parent;
  Vertx vertx;
  WorkerExecutor worker;
  ParentCaller caller;
  RegistryStorage storage;

  @BeforeEach
  void setUp() {
    parent = ScriptedServer.http();
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("registry-storage", 4);
    caller = new ParentCaller(vertx, ParentEndpoint.of(parent.url()), ParentPolicy.defaults());
    storage = LocalRegistryStorage.open(dataDir, LocalRegistryStorage.Options.defaults());
  }

  @AfterEach
  void tearDown() {
    caller.close();
    storage.close();
    Await.result(vertx.close());
    parent.close();
  }

  @Test
  void aBlobIsDivertedToTheUploadAndTheMarkNeverReachesTheParent() {
    byte[] blob = new byte[3 * 1024 * 1024 + 17];
    new Random(7).nextBytes(blob);
    Digest digest = Digest.sha256(blob);
    List<String> marks = new CopyOnWriteArrayList<>();
    parent.on("/v2/" + REPO + "/blobs/" + digest, request -> {
      marks.add(String.valueOf(request.getHeader(DirectBody.HEADER)));
      request.response().putHeader("Content-Length", Integer.toString(blob.length)).end(Buffer.buffer(blob));
    });
    long divertedBefore = DirectBody.diverted();

    BlobFetcher fetcher = new BlobFetcher(caller, storage, worker, new TransferCounter());
    Promise<BlobFetcher.Result> fetched = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> fetcher.fetch(REPO, REPO, digest, blob.length).onComplete(fetched));
    BlobFetcher.Result result = Await.result(fetched.future());

    assertEquals(blob.length, result.size());
    assertEquals(blob.length, storage.blobSize(REPO, digest).orElseThrow()); // committed: digest checked
    assertEquals(List.of("null"), marks, "the parent saw the request once, without the mark");
    assertEquals(divertedBefore + 1, DirectBody.diverted(), "the body came the direct way");
  }

  /**
   * The parent offers 64 MiB; the body is not taken (a disk that does not keep up). The socket
   * stops being read: the body holds at most its bound plus a read, and the parent could send
   * only what the socket buffers take. Taken afterwards, every byte arrives.
   */
  @Test
  void aBodyNobodyTakesStopsTheSocketAndHoldsABoundedAmount() throws Exception {
    long total = 64L * 1024 * 1024;
    Digest digest = Digest.sha256(new byte[0]); // any: only the transport is under test
    parent.on("/v2/" + REPO + "/blobs/" + digest, parent.stream(200, Map.of(), total));
    GetBlob getBlob = new GetBlob(caller);
    DirectBody[] body = new DirectBody[1];
    Promise<HttpClientResponse> opened = Promise.promise();
    Context context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      body[0] = DirectBody.expect(context);
      getBlob.open(REPO, digest, 0, body[0]).onComplete(opened);
    });
    HttpClientResponse response = Await.result(opened.future());
    DirectBody direct = body[0];
    assertTrue(direct.started());
    AtomicLong taken = new AtomicLong();
    Promise<Void> ended = Promise.promise();
    context.runOnContext(v -> {
      response.handler(ignored -> { }).resume();
      direct.pause();
      direct.handler(b -> {
        taken.addAndGet(b.length());
        UploadWriteStream.releasePooled(b);
      });
      direct.endHandler(ended::tryComplete);
      direct.exceptionHandler(ended::tryFail);
    });

    // Wait (bounded) until the parent stops being able to send.
    long last = -1;
    for (int i = 0; i < 100 && parent.streamed() != last; i++) {
      last = parent.streamed();
      Thread.sleep(200);
    }
    long held = direct.heldBytes();
    assertEquals(0, taken.get());
    assertTrue(held <= DirectBody.MAX_HELD + 1024 * 1024, "held " + held + " bytes");
    assertTrue(parent.streamed() < 32L * 1024 * 1024, "the parent sent " + parent.streamed() + " bytes");

    context.runOnContext(v -> direct.resume());
    Await.result(ended.future());
    assertEquals(total, taken.get());
    assertEquals(0, direct.heldBytes());
    direct.close();
    assertFalse(direct.heldBytes() > 0);
  }
}
