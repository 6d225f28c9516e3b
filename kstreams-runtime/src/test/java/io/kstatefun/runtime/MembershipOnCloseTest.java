package io.kstatefun.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.apache.kafka.streams.CloseOptions.GroupMembershipOperation;
import org.junit.jupiter.api.Test;

class MembershipOnCloseTest {

  @Test
  void shouldLeaveTheGroupOnCloseWhenTheMemberIsDynamic() {
    Properties props = new Properties();
    props.put("application.id", "app");
    assertThat(KStatefunRuntime.membershipOnClose(props))
        .isEqualTo(GroupMembershipOperation.LEAVE_GROUP);
  }

  @Test
  void shouldStayInTheGroupOnCloseWhenTheMemberIsStatic() {
    for (String key :
        new String[] {
          "group.instance.id", "consumer.group.instance.id", "main.consumer.group.instance.id"
        }) {
      Properties props = new Properties();
      props.put(key, "instance-1");
      assertThat(KStatefunRuntime.membershipOnClose(props))
          .as(key)
          .isEqualTo(GroupMembershipOperation.REMAIN_IN_GROUP);
    }
  }
}
