// Stands in for a package that only Bolt's unused receivers need (ExpressReceiver, HTTPReceiver,
// SocketModeReceiver: express, raw-body, @slack/socket-mode). Bolt requires them at load time but
// calls them only inside those receivers, which an AwsLambdaReceiver app never constructs. Any
// call fails loudly instead of misbehaving.
const unavailable = () => {
  throw new Error(
    'This Lambda bundle only contains AwsLambdaReceiver: Express, HTTP and Socket Mode receivers are stubbed out'
  );
};
class SocketModeClient {
  constructor() {
    unavailable();
  }
}
module.exports = unavailable;
module.exports.default = unavailable;
module.exports.Router = unavailable;
module.exports.SocketModeClient = SocketModeClient;
