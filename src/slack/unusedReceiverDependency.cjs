// Stands in for a package that only parts of Bolt this bot never uses need: the ExpressReceiver,
// HTTPReceiver and SocketModeReceiver (express, raw-body, @slack/socket-mode), and the OAuth
// install flow those receivers run (@slack/oauth and its state store's jsonwebtoken; the bot runs
// with one bot token). Bolt requires them at load time but calls them only inside those parts,
// which an AwsLambdaReceiver app with a token never constructs. Any call fails loudly instead of
// misbehaving.
const unavailable = () => {
  throw new Error(
    'This Lambda bundle only contains AwsLambdaReceiver with a bot token: the Express, HTTP and Socket Mode receivers and the OAuth install flow are stubbed out'
  );
};
/** Every class those packages export: constructing one fails. */
class Unavailable {
  constructor() {
    unavailable();
  }
}
module.exports = unavailable;
module.exports.default = unavailable;
module.exports.Router = unavailable;
module.exports.SocketModeClient = Unavailable;
module.exports.InstallProvider = Unavailable;
module.exports.FileInstallationStore = Unavailable;
module.exports.MemoryInstallationStore = Unavailable;
module.exports.sign = unavailable;
module.exports.verify = unavailable;
