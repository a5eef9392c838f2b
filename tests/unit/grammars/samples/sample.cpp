// Accounts and a ledger, used by the syntax tests.
#include <iostream>
#include <map>
#include <string>
#include <vector>

using std::string;

namespace bank {

class Account {
public:
    Account(string owner, double balance) : owner_(owner), balance_(balance) {}

    double balance() const { return balance_; }

    void deposit(double amount)
    {
        double fee = amount * 0.01;
        balance_ += amount - fee;
    }

private:
    string owner_;
    double balance_;
};

struct Entry {
    string label;
    double amount;
};

double total(const std::vector<Entry> &entries, double start)
{
    double sum = start;
    for (const auto &entry : entries) {
        sum += entry.amount;
    }
    auto twice = [](double x) { return x * 2; };
    return twice(sum) / 2;
}

} // namespace bank

int main()
{
    bank::Account acct("ada", 10.0);
    std::map<string, int> counts;
    acct.deposit(5.0);
    std::vector<bank::Entry> entries = {{"rent", -500.0}, {"pay", 1200.0}};
    std::cout << bank::total(entries, acct.balance()) << std::endl;
    return 0;
}
