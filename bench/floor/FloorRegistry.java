import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * FloorRegistry - the least OCI registry in Java 17 + Vert.x core that does the work bench/run.sh
 * --quick asks of a registry (bench/floor/README.md): a memory floor for issue #13 target 3, not
 * product code. One file, no io.connectedregistry class, no auth, no database.
 *
 * <p>usage: java [JVM options] -cp OUT:connected-registry.jar FloorRegistry PORT DATA
 *
 * <p>Blob bodies stream to a file: buffers are queued on the event loop and one worker task at a
 * time hashes (SHA-256) and writes them (the request is paused while more than min(512 KiB, heap/16) wait); the
 * final PUT compares the digest, fsyncs the file, renames it into blobs/ and fsyncs that folder
 * before 201. Manifests: parsed (JSON), their blobs / child manifests must be in the repository,
 * written with fsync (file and folder), tag files likewise; served from a bounded in-memory cache
 * (miss: read on a worker). Blobs are sent with sendFile. Every disk access and all hashing run on
 * the worker pool, never on an event loop. Repository membership of blobs lives in memory only.
 */
public final class FloorRegistry {
  static final Pattern NAME = Pattern.compile(
      "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
  static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
  static final Pattern MANIFEST = Pattern.compile("/v2/(.+)/manifests/([^/]+)");
  static final Pattern UPLOAD = Pattern.compile("/v2/(.+)/blobs/uploads/([^/]*)");
  static final Pattern BLOB = Pattern.compile("/v2/(.+)/blobs/([^/]+)");
  static final Pattern TAGS = Pattern.compile("/v2/(.+)/tags/list");
  /** The registry's UploadWriteStream bound (8 MiB until 2026-12-01: the floor's figures before are with 8). */
  static final long MAX_QUEUED = Math.min(512L << 10, Runtime.getRuntime().maxMemory() / 16);
  static final int MAX_MANIFEST = 4 << 20;
  static final ThreadLocal<ByteBuffer> STAGING = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(128 * 1024));

  static Vertx vertx;
  static Path data;
  static final Map<String, Upload> uploads = new ConcurrentHashMap<>();
  /** repository -> digests of its blobs and manifests (what HEAD/GET and manifest checks see) */
  static final Map<String, Set<String>> links = new ConcurrentHashMap<>();
  static final Map<String, ConcurrentSkipListMap<String, String>> tags = new ConcurrentHashMap<>();
  /** digest -> manifest, the most recently used 1,000 */
  static final Map<String, Manifest> cache = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Manifest> e) {
      return size() > 1000;
    }
  };

  record Manifest(Buffer bytes, String type) {}

  static final class Failure extends RuntimeException {
    final int status;
    final String code;

    Failure(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    data = Path.of(args[1]).toAbsolutePath();
    for (String d : List.of("blobs", "uploads", "manifests", "repos")) {
      Files.createDirectories(data.resolve(d));
    }
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false).setWorkerPoolSize(4));
    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer().requestHandler(FloorRegistry::handle).listen(port, "127.0.0.1");
      }
    }, new DeploymentOptions().setInstances(instances)).onComplete(r -> {
      if (r.failed()) {
        r.cause().printStackTrace();
        System.exit(1);
      }
      System.out.println("FloorRegistry listening on 127.0.0.1:" + port + ", data " + data);
    });
  }

  // ------------------------------------------------------------------ routing

  static void handle(HttpServerRequest req) {
    try {
      route(req);
    } catch (Failure f) {
      fail(req, f);
    }
  }

  static void route(HttpServerRequest req) {
    String path = req.path();
    HttpMethod m = req.method();
    if (path.equals("/v2/") || path.equals("/v2") || path.equals("/healthz")) {
      req.response().putHeader("Docker-Distribution-API-Version", "registry/2.0")
          .putHeader("Content-Type", "application/json").end("{}");
      return;
    }
    Matcher x;
    if ((x = UPLOAD.matcher(path)).matches()) {
      String repo = name(x.group(1));
      if (x.group(2).isEmpty()) {
        if (m == HttpMethod.POST) {
          startUpload(req, repo);
          return;
        }
      } else {
        Upload up = uploads.get(x.group(2));
        if (up == null || !up.repo.equals(repo)) {
          throw new Failure(404, "BLOB_UPLOAD_UNKNOWN", "no such upload");
        }
        if (m == HttpMethod.PATCH) {
          patch(req, up);
          return;
        } else if (m == HttpMethod.PUT) {
          finish(req, up);
          return;
        } else if (m == HttpMethod.GET) {
          uploadStatus(req.response().setStatusCode(204), up).end();
          return;
        } else if (m == HttpMethod.DELETE) {
          uploads.remove(up.id);
          blocking(() -> up.discard()).onComplete(r -> req.response().setStatusCode(204).end());
          return;
        }
      }
    } else if ((x = BLOB.matcher(path)).matches()) {
      if (m == HttpMethod.GET || m == HttpMethod.HEAD) {
        getBlob(req, name(x.group(1)), digest(x.group(2)));
        return;
      }
    } else if ((x = MANIFEST.matcher(path)).matches()) {
      String repo = name(x.group(1)), ref = x.group(2);
      if (!DIGEST.matcher(ref).matches() && !TAG.matcher(ref).matches()) {
        throw new Failure(400, "MANIFEST_INVALID", "bad reference");
      }
      if (m == HttpMethod.GET || m == HttpMethod.HEAD) {
        getManifest(req, repo, ref);
        return;
      } else if (m == HttpMethod.PUT) {
        putManifest(req, repo, ref);
        return;
      }
    } else if ((x = TAGS.matcher(path)).matches()) {
      if (m == HttpMethod.GET) {
        String repo = name(x.group(1));
        Map<String, String> t = tags.get(repo);
        if (t == null) {
          throw new Failure(404, "NAME_UNKNOWN", "no such repository");
        }
        req.response().putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("name", repo).put("tags", new JsonArray(new ArrayList<>(t.keySet()))).encode());
        return;
      }
    } else {
      throw new Failure(404, "NOT_FOUND", "not found");
    }
    throw new Failure(405, "UNSUPPORTED", "method not allowed");
  }

  static String name(String s) {
    if (!NAME.matcher(s).matches() || s.length() > 255) {
      throw new Failure(400, "NAME_INVALID", "bad repository name");
    }
    return s;
  }

  static String digest(String s) {
    if (s == null || !DIGEST.matcher(s).matches()) {
      throw new Failure(400, "DIGEST_INVALID", "bad digest");
    }
    return s;
  }

  static void fail(HttpServerRequest req, Throwable t) {
    Failure f = t instanceof Failure ff ? ff : new Failure(500, "UNKNOWN", String.valueOf(t));
    if (f.status == 500) {
      t.printStackTrace();
    }
    HttpServerResponse r = req.response();
    if (r.headWritten()) {
      r.reset();
      return;
    }
    r.setStatusCode(f.status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("errors", new JsonArray().add(
            new JsonObject().put("code", f.code).put("message", f.getMessage()))).encode());
  }

  static <T> Future<T> blocking(java.util.concurrent.Callable<T> task) {
    return vertx.executeBlocking(task, false);
  }

  static Set<String> linksOf(String repo) {
    return links.computeIfAbsent(repo, r -> ConcurrentHashMap.newKeySet());
  }

  // ------------------------------------------------------------------ blobs

  static void getBlob(HttpServerRequest req, String repo, String digest) {
    if (!linksOf(repo).contains(digest)) {
      throw new Failure(404, "BLOB_UNKNOWN", "blob unknown to repository");
    }
    Path file = blobPath(digest);
    boolean head = req.method() == HttpMethod.HEAD;
    blocking(() -> {
      FileChannel ch = FileChannel.open(file);
      try {
        return new Open(head ? null : ch, ch.size());
      } finally {
        if (head) {
          ch.close();
        }
      }
    }).onComplete(r -> {
      if (r.failed()) {
        fail(req, r.cause() instanceof NoSuchFileException ? new Failure(404, "BLOB_UNKNOWN", "gone") : r.cause());
        return;
      }
      Open o = r.result();
      HttpServerResponse resp = req.response().putHeader("Docker-Content-Digest", digest)
          .putHeader("Content-Type", "application/octet-stream").putHeader("Accept-Ranges", "bytes");
      if (head) {
        resp.putHeader("Content-Length", String.valueOf(o.size)).end();
      } else {
        resp.sendFile(o.ch, 0, o.size).onComplete(v -> close(o.ch));
      }
    });
  }

  record Open(FileChannel ch, long size) {}

  static void close(FileChannel ch) {
    if (ch != null) {
      blocking(() -> {
        ch.close();
        return null;
      });
    }
  }

  static Path blobPath(String digest) {
    String hex = digest.substring(7);
    return data.resolve("blobs").resolve(hex.substring(0, 2)).resolve(hex);
  }

  static void startUpload(HttpServerRequest req, String repo) {
    String mount = req.getParam("mount"), from = req.getParam("from");
    if (mount != null && from != null && DIGEST.matcher(mount).matches() && NAME.matcher(from).matches()
        && linksOf(from).contains(mount)) {
      linksOf(repo).add(mount);
      req.response().setStatusCode(201).putHeader("Location", "/v2/" + repo + "/blobs/" + mount)
          .putHeader("Docker-Content-Digest", mount).putHeader("Content-Length", "0").end();
      return;
    }
    if (req.getParam("digest") != null) {
      throw new Failure(405, "UNSUPPORTED", "single-POST uploads are not supported: POST, then PUT");
    }
    String id = UUID.randomUUID().toString();
    Path file = data.resolve("uploads").resolve(id);
    blocking(() -> FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)).onComplete(r -> {
      if (r.failed()) {
        fail(req, r.cause());
        return;
      }
      Upload up = new Upload(id, repo, file, r.result());
      uploads.put(id, up);
      uploadStatus(req.response().setStatusCode(202), up).end();
    });
  }

  static HttpServerResponse uploadStatus(HttpServerResponse resp, Upload up) {
    long size = up.received();
    return resp.putHeader("Location", "/v2/" + up.repo + "/blobs/uploads/" + up.id)
        .putHeader("Range", "0-" + Math.max(0, size - 1)).putHeader("Docker-Upload-UUID", up.id)
        .putHeader("Content-Length", "0");
  }

  static void patch(HttpServerRequest req, Upload up) {
    String range = req.getHeader("Content-Range");
    if (range != null) {
      int dash = range.indexOf('-');
      long start;
      try {
        start = Long.parseLong(range.substring(range.startsWith("bytes ") ? 6 : 0, Math.max(0, dash)).trim());
      } catch (RuntimeException e) {
        throw new Failure(400, "BLOB_UPLOAD_INVALID", "bad Content-Range");
      }
      if (start != up.received()) {
        req.response().setStatusCode(416);
        uploadStatus(req.response(), up).end();
        return;
      }
    }
    // Like the registry, the answer waits for the body, not for its write (the next request queues behind it).
    receive(req, up, () -> {
      Throwable f = up.failure();
      if (f != null) {
        fail(req, f);
      } else {
        uploadStatus(req.response().setStatusCode(202), up).end();
      }
    });
  }

  static void finish(HttpServerRequest req, Upload up) {
    String digest = digest(req.getParam("digest"));
    receive(req, up, () -> up.whenWritten(() -> blocking(() -> commit(up, digest)).onComplete(r -> {
      if (r.failed()) {
        fail(req, r.cause());
      } else {
        req.response().setStatusCode(201).putHeader("Location", "/v2/" + up.repo + "/blobs/" + digest)
            .putHeader("Docker-Content-Digest", digest).putHeader("Content-Length", "0").end();
      }
    })));
  }

  static void receive(HttpServerRequest req, Upload up, Runnable atEnd) {
    req.handler(buf -> up.write(req, buf));
    req.exceptionHandler(e -> up.fail(e));
    req.endHandler(v -> atEnd.run());
  }

  /** On a worker: the digest must match; then fsync, rename into blobs/, fsync the folder. */
  static Void commit(Upload up, String digest) throws IOException {
    uploads.remove(up.id);
    Throwable f = up.failure();
    if (f != null) {
      up.discard();
      throw f instanceof IOException io ? io : new IOException(f);
    }
    String got = "sha256:" + HexFormat.of().formatHex(up.md.digest());
    if (!got.equals(digest)) {
      up.discard();
      throw new Failure(400, "DIGEST_INVALID", "content is " + got);
    }
    up.ch.force(true);
    up.ch.close();
    Path target = blobPath(digest);
    Path dir = target.getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      fsync(dir.getParent());
    }
    Files.move(up.file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsync(dir);
    linksOf(up.repo).add(digest);
    return null;
  }

  static void fsync(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  /**
   * One blob upload: buffers from the event loop are queued; one worker task at a time hashes and
   * writes everything queued (a gathering write), resumes the request below half the bound.
   */
  static final class Upload {
    final String id;
    final String repo;
    final Path file;
    final FileChannel ch;
    final MessageDigest md = sha256();
    private List<Buffer> queue = new ArrayList<>();
    private long queued;
    private long received;
    private boolean draining;
    private Throwable failure;
    private HttpServerRequest paused;
    private Context pausedContext;
    private Runnable whenWritten;
    private Context whenWrittenContext;

    Upload(String id, String repo, Path file, FileChannel ch) {
      this.id = id;
      this.repo = repo;
      this.file = file;
      this.ch = ch;
    }

    synchronized long received() {
      return received;
    }

    synchronized Throwable failure() {
      return failure;
    }

    synchronized void fail(Throwable t) {
      if (failure == null) {
        failure = t;
      }
    }

    /** On the event loop. */
    void write(HttpServerRequest req, Buffer buf) {
      boolean start, pause;
      synchronized (this) {
        if (failure != null) {
          return;
        }
        queue.add(buf);
        queued += buf.length();
        received += buf.length();
        start = !draining;
        draining = true;
        pause = queued > MAX_QUEUED;
        if (pause) {
          paused = req;
          pausedContext = Vertx.currentContext();
        }
      }
      if (pause) {
        req.pause();
      }
      if (start) {
        blocking(this::drain).onFailure(t -> {
          t.printStackTrace();
          synchronized (this) {
            fail(t);
            queue.clear();
            queued = 0;
            draining = false;
            wake();
          }
        });
      }
    }

    /** On the event loop: runs next once everything received so far is in the file (or failed). */
    void whenWritten(Runnable r) {
      synchronized (this) {
        if (draining) {
          whenWritten = r;
          whenWrittenContext = Vertx.currentContext();
          return;
        }
      }
      r.run();
    }

    /** On a worker. */
    private Void drain() {
      while (true) {
        List<Buffer> batch;
        synchronized (this) {
          if (queue.isEmpty() || failure != null) {
            queue.clear();
            queued = 0;
            draining = false;
            wake();
            return null;
          }
          batch = queue;
          queue = new ArrayList<>();
        }
        // Heap buffers: the JDK would copy each into a temporary direct buffer of its own size
        // (cached per thread, up to the 32 MiB direct limit: OutOfMemoryError); one 128 KiB
        // direct buffer per worker does that copy instead, as the registry's UploadHandle does.
        ByteBuffer staging = STAGING.get();
        long length = 0;
        try {
          for (Buffer buf : batch) {
            ByteBuffer b = ((BufferInternal) buf).getByteBuf().nioBuffer();
            md.update(b.duplicate());
            length += b.remaining();
            while (b.hasRemaining()) {
              if (!staging.hasRemaining()) {
                writeFully(staging);
              }
              int n = Math.min(staging.remaining(), b.remaining());
              staging.put(b.slice(b.position(), n));
              b.position(b.position() + n);
            }
          }
          writeFully(staging);
        } catch (IOException e) {
          staging.clear();
          fail(e);
        }
        synchronized (this) {
          queued -= length;
          if (queued <= MAX_QUEUED / 2) {
            resume();
          }
        }
      }
    }

    private void wake() { // holds the lock
      resume();
      if (whenWritten != null) {
        Runnable r = whenWritten;
        whenWritten = null;
        whenWrittenContext.runOnContext(v -> r.run());
      }
    }

    private void resume() { // holds the lock
      if (paused != null) {
        HttpServerRequest r = paused;
        paused = null;
        pausedContext.runOnContext(v -> r.resume());
      }
    }

    private void writeFully(ByteBuffer staging) throws IOException {
      staging.flip();
      while (staging.hasRemaining()) {
        ch.write(staging);
      }
      staging.clear();
    }

    /** On a worker. */
    Void discard() throws IOException {
      ch.close();
      Files.deleteIfExists(file);
      return null;
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ manifests

  static void getManifest(HttpServerRequest req, String repo, String ref) {
    String digest = ref;
    if (!DIGEST.matcher(ref).matches()) {
      Map<String, String> t = tags.get(repo);
      digest = t == null ? null : t.get(ref);
      if (digest == null) {
        throw new Failure(404, "MANIFEST_UNKNOWN", "no such tag");
      }
    } else if (!linksOf(repo).contains(ref)) {
      throw new Failure(404, "MANIFEST_UNKNOWN", "manifest unknown to repository");
    }
    String d = digest;
    Manifest cached;
    synchronized (cache) {
      cached = cache.get(d);
    }
    if (cached != null) {
      sendManifest(req, d, cached);
      return;
    }
    blocking(() -> {
      byte[] bytes = Files.readAllBytes(data.resolve("manifests").resolve(d.substring(7)));
      String type = new JsonObject(Buffer.buffer(bytes)).getString("mediaType", "application/vnd.oci.image.manifest.v1+json");
      Manifest mf = new Manifest(Buffer.buffer(bytes), type);
      synchronized (cache) {
        cache.put(d, mf);
      }
      return mf;
    }).onComplete(r -> {
      if (r.failed()) {
        fail(req, r.cause());
      } else {
        sendManifest(req, d, r.result());
      }
    });
  }

  static void sendManifest(HttpServerRequest req, String digest, Manifest mf) {
    HttpServerResponse resp = req.response().putHeader("Content-Type", mf.type)
        .putHeader("Docker-Content-Digest", digest).putHeader("ETag", "\"" + digest + "\"");
    if (req.method() == HttpMethod.HEAD) {
      resp.putHeader("Content-Length", String.valueOf(mf.bytes.length())).end();
    } else {
      resp.end(mf.bytes);
    }
  }

  static void putManifest(HttpServerRequest req, String repo, String ref) {
    String type = req.getHeader("Content-Type");
    Buffer body = Buffer.buffer();
    boolean[] tooBig = {false};
    req.handler(b -> {
      if (body.length() + b.length() > MAX_MANIFEST) {
        tooBig[0] = true;
      } else if (!tooBig[0]) {
        body.appendBuffer(b);
      }
    });
    req.endHandler(v -> {
      if (tooBig[0]) {
        fail(req, new Failure(413, "SIZE_INVALID", "manifest over 4 MiB"));
        return;
      }
      blocking(() -> storeManifest(repo, ref, type, body)).onComplete(r -> {
        if (r.failed()) {
          fail(req, r.cause());
        } else {
          req.response().setStatusCode(201).putHeader("Location", "/v2/" + repo + "/manifests/" + r.result())
              .putHeader("Docker-Content-Digest", r.result()).putHeader("Content-Length", "0").end();
        }
      });
    });
  }

  /** On a worker: hash, parse, check its references, write it (and the tag) with fsync. */
  static String storeManifest(String repo, String ref, String contentType, Buffer body) throws IOException {
    byte[] bytes = body.getBytes();
    String digest = "sha256:" + HexFormat.of().formatHex(sha256().digest(bytes));
    boolean byDigest = DIGEST.matcher(ref).matches();
    if (byDigest && !ref.equals(digest)) {
      throw new Failure(400, "DIGEST_INVALID", "content is " + digest);
    }
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (RuntimeException e) {
      throw new Failure(400, "MANIFEST_INVALID", "not JSON");
    }
    String type = json.getString("mediaType", contentType);
    if (type == null) {
      throw new Failure(400, "MANIFEST_INVALID", "no media type");
    }
    Set<String> linked = linksOf(repo);
    List<String> refs = new ArrayList<>();
    if (json.getValue("manifests") instanceof JsonArray children) {
      children.forEach(c -> refs.add(((JsonObject) c).getString("digest")));
    } else {
      JsonObject config = json.getJsonObject("config");
      JsonArray layers = json.getJsonArray("layers");
      if (config == null || layers == null) {
        throw new Failure(400, "MANIFEST_INVALID", "neither an image manifest nor an index");
      }
      refs.add(config.getString("digest"));
      layers.forEach(l -> refs.add(((JsonObject) l).getString("digest")));
    }
    for (String d : refs) {
      if (d == null || !linked.contains(d)) {
        throw new Failure(400, "MANIFEST_BLOB_UNKNOWN", "unknown blob " + d);
      }
    }
    Path file = data.resolve("manifests").resolve(digest.substring(7));
    if (!Files.exists(file)) {
      writeDurably(file, bytes);
    }
    if (!byDigest) {
      Path dir = data.resolve("repos").resolve(repo).resolve("_tags");
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        fsync(dir.getParent());
      }
      writeDurably(dir.resolve(ref), digest.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
    linked.add(digest);
    synchronized (cache) {
      cache.put(digest, new Manifest(Buffer.buffer(bytes), contentType != null ? contentType : type));
    }
    if (!byDigest) {
      tags.computeIfAbsent(repo, r -> new ConcurrentSkipListMap<>()).put(ref, digest);
    }
    return digest;
  }

  /** Temporary file, fsync, rename over the target, fsync the folder. */
  static void writeDurably(Path target, byte[] bytes) throws IOException {
    Path tmp = target.resolveSibling(".tmp-" + UUID.randomUUID());
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    } catch (FileAlreadyExistsException e) {
      throw new IOException(e);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsync(target.getParent());
  }
}
