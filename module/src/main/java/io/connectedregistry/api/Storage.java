package io.connectedregistry.api;

import io.connectedregistry.storage.RegistryStorage;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;

/** The handlers' way to storage: every call runs on the named storage worker pool, never on an event loop. */
final class Storage {
  private final RegistryStorage storage;
  private final WorkerExecutor worker;
  /** One per server, shared by its event loops (each has its own router and handlers). */
  private final ServedManifests servedManifests = ServedManifests.sizedFromHeap();

  Storage(RegistryStorage storage, WorkerExecutor worker) {
    this.storage = storage;
    this.worker = worker;
  }

  <T> Future<T> call(StorageCall<T> call) {
    Callable<T> task = () -> call.apply(storage);
    return worker.executeBlocking(task, false);
  }

  /** Non-blocking: safe on the event loop. See {@link RegistryStorage#manifestGeneration}. */
  long manifestGeneration(String repository) {
    return storage.manifestGeneration(repository);
  }

  /** Non-blocking: safe on the event loop. */
  java.util.Optional<io.connectedregistry.storage.UploadHandle> takeParkedUpload(String repository, String id) {
    return storage.takeParkedUpload(repository, id);
  }

  ServedManifests servedManifests() {
    return servedManifests;
  }

  WorkerExecutor worker() {
    return worker;
  }

  @FunctionalInterface
  interface StorageCall<T> {
    T apply(RegistryStorage storage) throws Exception;
  }
}
