package io.kstatefun.statefunimport.testing;

import java.nio.ByteBuffer;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.state.api.OperatorTransformation;
import org.apache.flink.state.api.SavepointWriter;
import org.apache.flink.state.api.functions.KeyedStateBootstrapFunction;
import org.apache.flink.statefun.flink.core.types.remote.RemoteValueTypeInfo;
import org.apache.flink.statefun.sdk.TypeName;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Writes a savepoint with the layout of a StateFun 3.3.0 job's function operator (uid {@code
 * functions_uid1}, key = address id, remote values {@code bench.counter.count} of typename {@code
 * io.statefun.types/int} with StateFun's own serializer) for N addresses, for measuring the
 * importer on a large savepoint without driving a million function calls through StateFun.
 *
 * <p>Arguments: {@code DIR N}. Only remote values, no delayed messages.
 */
public final class SyntheticSavepoint {

  private SyntheticSavepoint() {}

  public static void main(String[] args) throws Exception {
    String dir = args[0];
    long n = Long.parseLong(args[1]);
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(2, new Configuration());
    var ids = env.fromSequence(0, n - 1).map(i -> "id-" + i).returns(Types.STRING);
    var transformation =
        OperatorTransformation.bootstrapWith(ids)
            .keyBy(id -> id, Types.STRING)
            .transform(new Counters());
    SavepointWriter.newSavepoint(new EmbeddedRocksDBStateBackend(), 128)
        .withOperator("functions_uid1", transformation)
        .write(dir);
    env.execute("synthetic StateFun savepoint");
  }

  private static final class Counters extends KeyedStateBootstrapFunction<String, String> {
    private transient ValueState<byte[]> count;

    @Override
    public void open(Configuration parameters) {
      count =
          getRuntimeContext()
              .getState(
                  new ValueStateDescriptor<>(
                      "bench.counter.count",
                      new RemoteValueTypeInfo(new TypeName("io.statefun.types", "int"))));
    }

    @Override
    public void processElement(String id, Context ctx) throws Exception {
      // An IntWrapper (field 1, sfixed32), as the SDKs write io.statefun.types/int.
      ByteBuffer b = ByteBuffer.allocate(5).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      b.put((byte) 0x0d).putInt(id.hashCode());
      count.update(b.array());
    }
  }
}
