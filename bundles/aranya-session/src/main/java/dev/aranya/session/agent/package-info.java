/**
 * The agent's protocol endpoint: connects over any {@link dev.aranya.api.transport.CloudLink}, says Hello, keeps
 * the connection alive, reports node info and status, and hands the streams Aranya opens to the agent's
 * {@link dev.aranya.api.agent.HostStreams} with flow control. The reconnect loop belongs to the agent: it calls
 * {@link dev.aranya.session.agent.AgentEndpoint#connect} again after {@link
 * dev.aranya.session.agent.AgentConnection#disconnected()} completes or a connect fails.
 */
@Export
@Version("0.1.0")
package dev.aranya.session.agent;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
