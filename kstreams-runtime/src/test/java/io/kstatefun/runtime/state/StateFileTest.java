package io.kstatefun.runtime.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kstatefun.protocol.Address;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.runtime.internals.proto.AddressState;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.StateFileEntry;
import io.kstatefun.runtime.internals.proto.StateFileHeader;
import io.kstatefun.runtime.internals.proto.StoredValue;
import io.kstatefun.runtime.internals.proto.TimerEntry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFileTest {

  static AddressState counter(String id, long count) {
    return AddressState.newBuilder()
        .setAddress(Address.newBuilder().setNamespace("demo").setType("counter").setId(id))
        .addValues(
            StoredValue.newBuilder()
                .setName("count")
                .setTypename("io.statefun.types/long")
                .setValue(ByteString.copyFromUtf8(Long.toString(count))))
        .build();
  }

  static TimerEntry delayed(String from, String to, long dueMs, String token) {
    return TimerEntry.newBuilder()
        .setEnvelope(
            Envelope.newBuilder()
                .setTarget(Address.newBuilder().setNamespace("demo").setType("greeter").setId(to))
                .setCaller(Address.newBuilder().setNamespace("demo").setType("counter").setId(from))
                .setArgument(
                    TypedValue.newBuilder()
                        .setTypename("io.statefun.types/string")
                        .setHasValue(true)
                        .setValue(ByteString.copyFromUtf8("hi " + to))))
        .setDueMs(dueMs)
        .setCancellationToken(token)
        .build();
  }

  private static byte[] sample() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (StateFileWriter w = StateFileWriter.to(bytes, StateFileWriter.SOURCE_KSTATEFUN, "app-1")) {
      w.address(counter("a", 1));
      w.timer(delayed("a", "b", 1000, "tok"));
      w.address(counter("b", 2));
    }
    return bytes.toByteArray();
  }

  private static List<StateFileEntry> readAll(byte[] file) throws IOException {
    List<StateFileEntry> out = new ArrayList<>();
    try (StateFileReader r = StateFileReader.from(new ByteArrayInputStream(file), "test")) {
      StateFileEntry e;
      while ((e = r.next()) != null) {
        out.add(e);
      }
      assertThat(r.trailer().getAddresses()).isEqualTo(2);
      assertThat(r.trailer().getValues()).isEqualTo(2);
      assertThat(r.trailer().getTimers()).isEqualTo(1);
    }
    return out;
  }

  @Test
  void shouldReadBackWhatWasWrittenInOrderWithTheHeader() throws IOException {
    byte[] file = sample();
    List<StateFileEntry> entries = readAll(file);
    assertThat(entries)
        .containsExactly(
            StateFileEntry.newBuilder().setAddress(counter("a", 1)).build(),
            StateFileEntry.newBuilder().setTimer(delayed("a", "b", 1000, "tok")).build(),
            StateFileEntry.newBuilder().setAddress(counter("b", 2)).build());
    try (StateFileReader r = StateFileReader.from(new ByteArrayInputStream(file), "test")) {
      assertThat(r.header().getFormatVersion()).isEqualTo(1);
      assertThat(r.header().getSource()).isEqualTo("kstatefun");
      assertThat(r.header().getSourceId()).isEqualTo("app-1");
      assertThat(r.header().getCreatedAtMs()).isPositive();
    }
  }

  @Test
  void shouldDetectAFileCutShortAtEveryByte() throws IOException {
    byte[] file = sample();
    for (int len = 0; len < file.length; len++) {
      byte[] cut = Arrays.copyOf(file, len);
      assertThatThrownBy(() -> readAll(cut))
          .as("file cut at %d of %d bytes", len, file.length)
          .isInstanceOf(StateFileException.class);
    }
    assertThat(readAll(file)).hasSize(3);
  }

  @Test
  void shouldRefuseATrailerWhoseCountsDoNotMatch() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    StateFileEntry.newBuilder()
        .setHeader(StateFileHeader.newBuilder().setFormatVersion(1))
        .build()
        .writeDelimitedTo(bytes);
    StateFileEntry.newBuilder().setAddress(counter("a", 1)).build().writeDelimitedTo(bytes);
    StateFileEntry.newBuilder()
        .setTrailer(
            io.kstatefun.runtime.internals.proto.StateFileTrailer.newBuilder()
                .setAddresses(2)
                .setValues(2))
        .build()
        .writeDelimitedTo(bytes);
    assertThatThrownBy(() -> readAll(bytes.toByteArray()))
        .isInstanceOf(StateFileException.class)
        .hasMessageContaining("trailer counts 2 addresses")
        .hasMessageContaining("holds 1 addresses");
  }

  @Test
  void shouldRefuseAnUnknownFormatVersion() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    StateFileEntry.newBuilder()
        .setHeader(StateFileHeader.newBuilder().setFormatVersion(2))
        .build()
        .writeDelimitedTo(bytes);
    assertThatThrownBy(
            () -> StateFileReader.from(new ByteArrayInputStream(bytes.toByteArray()), "f"))
        .isInstanceOf(StateFileException.class)
        .hasMessageContaining("format version 2");
  }

  @Test
  void shouldShowTheFileUnderItsNameOnlyOnceItIsComplete(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("state.kstate");
    StateFileWriter w = StateFileWriter.create(file, StateFileWriter.SOURCE_KSTATEFUN, "app");
    w.address(counter("a", 1));
    assertThat(file).doesNotExist();
    w.close();
    assertThat(file).exists();
    assertThat(dir.resolve("state.kstate.partial")).doesNotExist();
    assertThat(StateFileReader.verify(file).getAddresses()).isEqualTo(1);

    Path abandoned = dir.resolve("abandoned.kstate");
    StateFileWriter a = StateFileWriter.create(abandoned, StateFileWriter.SOURCE_KSTATEFUN, "app");
    a.address(counter("a", 1));
    a.abandon();
    assertThat(abandoned).doesNotExist();
    assertThat(Files.list(dir)).containsExactly(file);
  }

  @Test
  void shouldGiveTheSameDigestForTheSameBytesOnly() throws IOException {
    byte[] file = sample();
    byte[] other = sample(); // another created_at_ms (or the same millisecond)
    assertThat(digest(file)).isEqualTo(digest(file.clone()));
    if (!Arrays.equals(file, other)) {
      assertThat(digest(file)).isNotEqualTo(digest(other));
    }
  }

  private static byte[] digest(byte[] file) throws IOException {
    try (StateFileReader r = StateFileReader.from(new ByteArrayInputStream(file), "d")) {
      while (r.next() != null) {
        // to the end
      }
      return r.digest();
    }
  }
}
