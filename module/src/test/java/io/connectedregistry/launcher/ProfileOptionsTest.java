package io.connectedregistry.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The profiles' options take effect in a JVM started with them. Netty 4.2 ignores the
 * pooled-allocator options unless the pooled allocator is chosen (its default is the adaptive
 * one); for a while the profiles carried them and they did nothing.
 */
class ProfileOptionsTest {

  @ParameterizedTest
  @ValueSource(strings = {"default.jvmopts", "small-device.jvmopts"})
  void nettyUsesOneSmallPooledArena(String profile) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Launcher.jvmOptions(profile));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), NettyAllocatorProbe.class.getName()));
    assertEquals("PooledByteBufAllocator directArenas=1 heapArenas=1 chunkSize=1048576", run(command));
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    return new String(out, StandardCharsets.UTF_8).strip();
  }
}
