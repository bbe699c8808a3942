import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * FloorSync - the least Java 17 + Vert.x core program that does the work of the registry's first
 * sync cycle in bench/sync.sh's mirror section (bench/floor/README.md): a floor for issue #13
 * target 6b, not product code. One file, no io.connectedregistry class.
 *
 * <p>usage: java [JVM options] -cp OUT:connected-registry.jar FloorSync PARENT_URL REPOSITORY_PREFIX DATA
 *
 * <p>It makes its Vertx and one HTTP/1.1 keep-alive client (16 connections, the registry's
 * ParentCaller.MAX_CONNECTIONS), prints {@code ready} and starts its clock there (the registry's
 * cycle, too, starts after its ready). Then: GET /v2/_catalog?n=1000 and keeps the repositories
 * under the prefix; GET each one's tags/list; copies every tag, 18 images at once
 * (DownstreamSync.PARALLEL_IMAGES): GET the manifest (Accept: OCI and Docker manifests and
 * indexes, at most 4 MiB), SHA-256 and JSON parse on a worker, the blobs it names 4 at once
 * (ImageCopier.PARALLEL_BLOBS), each downloaded once even when several images want it at the same
 * moment (the later ones wait for the first), then the manifest and the tag file written durably
 * (temporary file, fsync, rename, fsync the folder). A blob body streams: buffers are queued on the
 * event loop and one worker task at a time hashes and writes them (the response is paused while
 * more than min(512 KiB, heap/16) of it wait, or while all downloads together hold more than
 * min(8 MiB, heap/4): the registry's UploadWriteStream bounds); at its end the digest is compared
 * with the descriptor's, the file fsynced, renamed into DATA/blobs/sha256/HEX and that folder
 * fsynced. A folder fsync covers every rename into it made before it began, so renames at the same
 * moment share one (as the registry's group commits do). Every disk access and all hashing run on
 * the worker pool, never on the event loop. At the end it prints one line (ms since ready,
 * requests, images, blobs, bytes, fsyncs) and exits 0; on any failure it prints why and exits 1.
 *
 * <p>What it does less than the registry's cycle (each makes the floor lower): no database (files
 * only: DATA/manifests/sha256/HEX, DATA/repos/NAME/_tags/TAG), no change feed (and no cursor to
 * follow it later), no auth or token realms, no TLS, no redirects, no retries, circuit breaker or
 * resume of a cut download (any failure ends the run), no referrers, no bandwidth limit, no
 * disk-space floor, no status, metrics or logs, no tag filter or pagination (one page of catalog
 * and of each tag list; a parent that pages is refused), no check that a blob is already stored
 * (the data folder starts empty), no later cycles.
 */
public final class FloorSync {
  static final int MAX_CONNECTIONS = 16;
  static final int PARALLEL_IMAGES = 18;
  static final int PARALLEL_BLOBS = 4;
  static final int MAX_JSON = 4 << 20;
  /** The registry's: a response body comes in pieces of a socket read, not Netty's 8 KiB default. */
  static final int CHUNK = 256 * 1024;
  static final long IDLE_TIMEOUT_MS = 30_000;
  // The registry's UploadWriteStream bounds (8 and 32 MiB until the fifth session of 2026-12-01,
  // then 2 MiB per download until the sixth).
  static final long MAX_QUEUED = Math.min(512L << 10, Runtime.getRuntime().maxMemory() / 16);
  static final long MAX_BACKLOG = Math.min(8L << 20, Runtime.getRuntime().maxMemory() / 4);
  static final Pattern NAME = Pattern.compile(
      "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
  static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
  static final String ACCEPT = String.join(", ", "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
      "application/vnd.docker.distribution.manifest.list.v2+json");
  static final ThreadLocal<ByteBuffer> STAGING = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(128 * 1024));

  static Vertx vertx;
  static Context context;
  static HttpClient client;
  static Path data;
  static final AtomicLong requests = new AtomicLong();
  static final AtomicLong images = new AtomicLong();
  static final AtomicLong blobs = new AtomicLong();
  static final AtomicLong bytes = new AtomicLong();
  static final AtomicLong fsyncs = new AtomicLong();
  static final AtomicLong fsyncNanos = new AtomicLong();
  /** Bytes queued by all downloads together. */
  static final AtomicLong backlog = new AtomicLong();
  /** Every blob download of this run, by digest: a blob is downloaded once. */
  static final Map<String, Future<Void>> downloads = new ConcurrentHashMap<>();
  static final Map<Path, Folder> folders = new ConcurrentHashMap<>();

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: FloorSync PARENT_URL REPOSITORY_PREFIX DATA");
      System.exit(2);
    }
    URI parent = URI.create(args[0]);
    if (!"http".equals(parent.getScheme()) || parent.getHost() == null) {
      System.err.println("FloorSync: PARENT_URL must be http://HOST[:PORT] (no TLS here)");
      System.exit(2);
    }
    String prefix = args[1];
    data = Path.of(args[2]).toAbsolutePath();
    for (String d : List.of("blobs/sha256", "manifests/sha256", "repos", "tmp")) {
      mkdirs(data.resolve(d));
    }
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false));
    client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1)
        .setKeepAlive(true).setMaxChunkSize(CHUNK).setDefaultHost(parent.getHost())
        .setDefaultPort(parent.getPort() < 0 ? 80 : parent.getPort()), new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS));
    // Everything below runs on this one event loop (and the worker pool): no locks between tasks.
    context = vertx.getOrCreateContext();
    System.out.println("ready");
    long start = System.nanoTime();
    context.runOnContext(v -> sync(prefix).onComplete(r -> {
      long ms = (System.nanoTime() - start) / 1_000_000;
      if (r.failed()) {
        System.out.println("FloorSync failed after " + ms + " ms: " + r.cause());
        r.cause().printStackTrace();
        System.exit(1);
      }
      System.out.printf("done ms=%d requests=%d images=%d blobs=%d bytes=%d fsyncs=%d fsync_ms=%d%n", ms,
          requests.get(), images.get(), blobs.get(), bytes.get(), fsyncs.get(), fsyncNanos.get() / 1_000_000);
      System.exit(0);
    }));
  }

  static Future<Void> sync(String prefix) {
    return getJson("/v2/_catalog?n=1000").compose(catalog -> {
      List<Future<List<String[]>>> lists = new ArrayList<>();
      for (Object o : catalog.getJsonArray("repositories", new JsonArray())) {
        String repo = (String) o;
        if (repo.startsWith(prefix)) {
          lists.add(tags(repo));
        }
      }
      return Future.all(lists).map(all -> {
        List<String[]> list = new ArrayList<>();
        lists.forEach(f -> list.addAll(f.result()));
        return list;
      });
    }).compose(list -> {
      List<Supplier<Future<Void>>> tasks = new ArrayList<>();
      for (String[] image : list) {
        tasks.add(() -> copyImage(image[0], image[1]));
      }
      return bounded(tasks, PARALLEL_IMAGES);
    });
  }

  /** The repository's tags, as {repository, tag} pairs. */
  static Future<List<String[]>> tags(String repo) {
    if (!NAME.matcher(repo).matches()) {
      return Future.failedFuture(new IOException("repository name off the grammar: " + repo));
    }
    return getJson("/v2/" + repo + "/tags/list?n=1000").map(json -> {
      List<String[]> list = new ArrayList<>();
      for (Object t : json.getJsonArray("tags", new JsonArray())) {
        if (!(t instanceof String tag) || !TAG.matcher(tag).matches()) {
          throw new IllegalStateException("tag off the grammar in " + repo + ": " + t);
        }
        list.add(new String[] {repo, tag});
      }
      return list;
    });
  }

  static Future<JsonObject> getJson(String uri) {
    return get(uri, "application/json").map(body -> new JsonObject(body));
  }

  /** A GET whose body (at most 4 MiB) is held in memory; only a 200 of one page is taken. */
  static Future<Buffer> get(String uri, String accept) {
    requests.incrementAndGet();
    return client.request(new RequestOptions().setMethod(HttpMethod.GET).setURI(uri).setIdleTimeout(IDLE_TIMEOUT_MS)
        .putHeader("Accept", accept)).compose(req -> req.send()).compose(resp -> {
          if (resp.statusCode() != 200) {
            return Future.failedFuture(new IOException("GET " + uri + ": " + resp.statusCode()));
          }
          if (resp.getHeader("Link") != null) {
            return Future.failedFuture(new IOException("GET " + uri + ": paged; FloorSync reads one page"));
          }
          Promise<Buffer> body = Promise.promise();
          Buffer buf = Buffer.buffer();
          resp.handler(b -> {
            if (buf.length() + b.length() > MAX_JSON) {
              body.tryFail(new IOException("GET " + uri + ": body over 4 MiB"));
              resp.request().reset();
            } else {
              buf.appendBuffer(b);
            }
          });
          resp.exceptionHandler(body::tryFail);
          resp.endHandler(v -> body.tryComplete(buf));
          return body.future();
        });
  }

  // ------------------------------------------------------------------ images

  record Parsed(String digest, byte[] bytes, JsonObject json) {}

  /** The manifest and its blobs, then the tag file. */
  static Future<Void> copyImage(String repo, String tag) {
    return copyManifest(repo, tag, null).compose(digest -> blocking(() -> {
      Path dir = data.resolve("repos").resolve(repo).resolve("_tags");
      mkdirs(dir);
      writeDurably(dir.resolve(tag), digest.getBytes(StandardCharsets.US_ASCII));
      images.incrementAndGet();
      return null;
    }));
  }

  /** Copies the manifest {@code ref} names (an index: its children first) and returns its digest. */
  static Future<String> copyManifest(String repo, String ref, String expected) {
    return get("/v2/" + repo + "/manifests/" + ref, ACCEPT).compose(body -> blocking(() -> {
      byte[] b = body.getBytes();
      String digest = "sha256:" + HexFormat.of().formatHex(sha256().digest(b));
      if (expected != null && !expected.equals(digest)) {
        throw new IOException(repo + "@" + expected + ": the parent sent " + digest);
      }
      return new Parsed(digest, b, new JsonObject(body));
    })).compose(m -> {
      List<Supplier<Future<Void>>> tasks = new ArrayList<>();
      if (m.json.getValue("manifests") instanceof JsonArray children) {
        for (Object c : children) {
          String d = descriptorDigest((JsonObject) c);
          tasks.add(() -> copyManifest(repo, d, d).mapEmpty());
        }
      } else {
        List<JsonObject> needed = new ArrayList<>();
        needed.add(m.json.getJsonObject("config"));
        m.json.getJsonArray("layers", new JsonArray()).forEach(l -> needed.add((JsonObject) l));
        for (JsonObject d : needed) {
          if (d == null || !(d.getValue("size") instanceof Number size) || size.longValue() < 0) {
            return Future.failedFuture(new IOException(repo + ":" + ref + ": a descriptor without a size"));
          }
          String digest = descriptorDigest(d);
          tasks.add(() -> blob(repo, digest, size.longValue()));
        }
      }
      return bounded(tasks, PARALLEL_BLOBS).compose(v -> blocking(() -> {
        writeDurably(data.resolve("manifests/sha256").resolve(m.digest.substring(7)), m.bytes);
        return m.digest;
      }));
    });
  }

  static String descriptorDigest(JsonObject d) {
    String digest = d.getString("digest");
    if (digest == null || !DIGEST.matcher(digest).matches()) {
      throw new IllegalStateException("descriptor digest not sha256: " + digest);
    }
    return digest;
  }

  /** Runs the tasks, at most {@code parallel} at once; fails at the first failure (no new task starts). */
  static Future<Void> bounded(List<Supplier<Future<Void>>> tasks, int parallel) {
    if (tasks.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> all = Promise.promise();
    int[] next = {0};
    int[] running = {0};
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      while (!all.future().isComplete() && running[0] < parallel && next[0] < tasks.size()) {
        running[0]++;
        Future<Void> f;
        try {
          f = tasks.get(next[0]++).get();
        } catch (RuntimeException e) {
          f = Future.failedFuture(e);
        }
        f.onComplete(r -> {
          running[0]--;
          if (r.failed()) {
            all.tryFail(r.cause());
          } else if (next[0] == tasks.size() && running[0] == 0) {
            all.tryComplete();
          } else {
            pump[0].run();
          }
        });
      }
    };
    pump[0].run();
    return all.future();
  }

  // ------------------------------------------------------------------ blobs

  /** The blob downloaded once: a second image that needs it waits for the first download. */
  static Future<Void> blob(String repo, String digest, long size) {
    Promise<Void> p = Promise.promise();
    Future<Void> running = downloads.putIfAbsent(digest, p.future());
    if (running != null) {
      return running;
    }
    download(repo, digest, size).onComplete(p);
    return p.future();
  }

  static Future<Void> download(String repo, String digest, long size) {
    Download d = new Download(digest, size, data.resolve("tmp").resolve(UUID.randomUUID().toString()));
    return blocking(d::open).compose(v -> {
      requests.incrementAndGet();
      return client.request(new RequestOptions().setMethod(HttpMethod.GET).setURI("/v2/" + repo + "/blobs/" + digest)
          .setIdleTimeout(IDLE_TIMEOUT_MS));
    }).compose(req -> req.send()).compose(resp -> {
      if (resp.statusCode() != 200) {
        return Future.failedFuture(new IOException("GET blob " + digest + ": " + resp.statusCode()));
      }
      String length = resp.getHeader("Content-Length");
      if (length != null && !length.equals(Long.toString(size))) {
        return Future.failedFuture(new IOException("blob " + digest + ": Content-Length " + length + ", descriptor " + size));
      }
      resp.handler(buf -> d.write(resp, buf));
      resp.exceptionHandler(d::fail);
      resp.endHandler(v -> d.whenWritten(() -> blocking(d::commit).onComplete(r -> {
        if (r.succeeded()) {
          d.done.tryComplete();
        } else {
          d.done.tryFail(r.cause());
        }
      })));
      return d.done.future();
    }).onFailure(t -> blocking(d::discard));
  }

  /**
   * One blob download: buffers from the event loop are queued; one worker task at a time hashes
   * and writes everything queued; the response is paused while too much waits.
   */
  static final class Download {
    final String digest;
    final long size;
    final Path tmp;
    final MessageDigest md = sha256();
    final Promise<Void> done = Promise.promise(); // completed on the context only
    FileChannel ch;
    private List<Buffer> queue = new ArrayList<>();
    private long queued;
    private long received;
    private boolean draining;
    private Throwable failure;
    private HttpClientResponse paused;
    private Runnable whenWritten;

    Download(String digest, long size, Path tmp) {
      this.digest = digest;
      this.size = size;
      this.tmp = tmp;
    }

    /** On a worker. */
    Void open() throws IOException {
      ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      return null;
    }

    /** On the event loop. */
    void write(HttpClientResponse resp, Buffer buf) {
      boolean start = false;
      boolean pause = false;
      IOException over = null;
      synchronized (this) {
        if (failure != null) {
          return;
        }
        received += buf.length();
        if (received > size) {
          over = new IOException("blob " + digest + ": longer than its descriptor's " + size + " bytes");
        } else {
          queue.add(buf);
          queued += buf.length();
          long all = backlog.addAndGet(buf.length());
          pause = queued > MAX_QUEUED || all > MAX_BACKLOG;
          if (pause) {
            paused = resp;
          }
          start = !draining;
          draining = true;
        }
      }
      if (over != null) {
        fail(over);
        resp.request().reset();
        return;
      }
      if (pause) {
        resp.pause(); // a resume the drain asks for runs on this context, after this
      }
      if (start) {
        blocking(this::drain).onFailure(this::fail);
      }
    }

    /** Any thread: the download has failed (the first reason is kept); a running drain drops the rest. */
    void fail(Throwable t) {
      synchronized (this) {
        if (failure == null) {
          failure = t;
        }
      }
      context.runOnContext(v -> done.tryFail(t));
    }

    /** On the event loop: runs next once everything received so far is in the file (or dropped). */
    void whenWritten(Runnable r) {
      synchronized (this) {
        if (draining) {
          whenWritten = r;
          return;
        }
      }
      r.run();
    }

    /** On a worker; one at a time per download (while {@code draining}). */
    private Void drain() {
      ByteBuffer staging = STAGING.get();
      while (true) {
        List<Buffer> batch;
        synchronized (this) {
          if (queue.isEmpty() || failure != null) {
            backlog.addAndGet(-queued);
            queued = 0;
            queue.clear();
            draining = false;
            resume();
            if (whenWritten != null) {
              Runnable r = whenWritten;
              whenWritten = null;
              context.runOnContext(v -> r.run());
            }
            return null;
          }
          batch = queue;
          queue = new ArrayList<>();
        }
        long length = 0;
        for (Buffer buf : batch) {
          length += buf.length();
        }
        // Heap buffers: through one 128 KiB direct buffer per worker (as FloorRegistry and the
        // registry's UploadHandle do), not the JDK's per-thread temporary copy of each buffer.
        try {
          for (Buffer buf : batch) {
            ByteBuffer b = ((BufferInternal) buf).getByteBuf().nioBuffer();
            md.update(b.duplicate());
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
          backlog.addAndGet(-length);
          if (queued <= MAX_QUEUED / 2 && (queued == 0 || backlog.get() <= MAX_BACKLOG)) {
            resume();
          }
        }
      }
    }

    private void resume() { // holds the lock
      if (paused != null) {
        HttpClientResponse r = paused;
        paused = null;
        context.runOnContext(v -> r.resume());
      }
    }

    private void writeFully(ByteBuffer staging) throws IOException {
      staging.flip();
      while (staging.hasRemaining()) {
        ch.write(staging);
      }
      staging.clear();
    }

    /** On a worker: the length and digest must match; then fsync, rename into blobs/, fsync the folder. */
    Void commit() throws IOException {
      synchronized (this) {
        if (failure != null) {
          throw failure instanceof IOException io ? io : new IOException(failure);
        }
      }
      if (received != size) {
        throw new IOException("blob " + digest + ": " + received + " bytes, descriptor " + size);
      }
      String got = "sha256:" + HexFormat.of().formatHex(md.digest());
      if (!got.equals(digest)) {
        throw new IOException("blob " + digest + ": content is " + got);
      }
      force(ch);
      ch.close();
      Path dir = data.resolve("blobs/sha256");
      Files.move(tmp, dir.resolve(digest.substring(7)), StandardCopyOption.ATOMIC_MOVE);
      renamedInto(dir);
      blobs.incrementAndGet();
      bytes.addAndGet(size);
      return null;
    }

    /** On a worker. */
    Void discard() throws IOException {
      if (ch != null) {
        ch.close();
      }
      Files.deleteIfExists(tmp);
      return null;
    }
  }

  // ------------------------------------------------------------------ disk

  /** On the worker pool (unordered); the result comes back on the context. */
  static <T> Future<T> blocking(Callable<T> task) {
    return context.executeBlocking(task, false);
  }

  /** Temporary file, fsync, rename over the target, fsync the folder. */
  static void writeDurably(Path target, byte[] content) throws IOException {
    Path tmp = data.resolve("tmp").resolve(UUID.randomUUID().toString());
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(content);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      force(ch);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    renamedInto(target.getParent());
  }

  /**
   * After a rename into {@code dir}: returns once an fsync of {@code dir} that began after the rename
   * has ended. One fsync covers every rename made before it began (a group commit, as the registry's
   * BlobCommits fsyncs each folder once for the blobs committed together).
   */
  static void renamedInto(Path dir) throws IOException {
    Folder f = folders.computeIfAbsent(dir, d -> new Folder());
    long mine;
    synchronized (f) {
      mine = ++f.renames;
    }
    synchronized (f.fsyncing) {
      long covers;
      synchronized (f) {
        if (f.synced >= mine) {
          return;
        }
        covers = f.renames;
      }
      fsync(dir);
      synchronized (f) {
        f.synced = covers;
      }
    }
  }

  static final class Folder {
    final Object fsyncing = new Object(); // one fsync of the folder at a time
    long renames; // guarded by this
    long synced; // renames covered by an ended fsync; guarded by this
  }

  /** Makes the folder and any missing parent, each made one fsynced into its parent. */
  static void mkdirs(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    mkdirs(dir.getParent());
    try {
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      // another task made it at the same moment; it fsyncs the parent too
    }
    fsync(dir.getParent());
  }

  static void fsync(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      force(d);
    }
  }

  static void force(FileChannel ch) throws IOException {
    long t0 = System.nanoTime();
    ch.force(true);
    fsyncNanos.addAndGet(System.nanoTime() - t0);
    fsyncs.incrementAndGet();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
